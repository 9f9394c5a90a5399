import { seeded } from '../random.js';
import { nearestRows } from './dot-scores.js';

/** Nearest centroid of each row: core's kernel, or an engine's GEMM where a backend offers one. */
export type NearestCentroids = (
  rows: Float32Array,
  n: number,
  centroids: Float32Array,
  k: number,
  dim: number,
) => Promise<Int32Array>;

export const coreNearest: NearestCentroids = async (rows, n, centroids, k, dim) =>
  nearestRows(rows, n, centroids, k, dim);

/** PLAID's centroid count for a corpus of `rows` token rows: 2^floor(log2(16·√rows)). */
export function plaidCentroidCount(rows: number): number {
  return 2 ** Math.floor(Math.log2(16 * Math.sqrt(Math.max(1, rows))));
}

function normalize(v: Float32Array, dim: number): void {
  for (let o = 0; o < v.length; o += dim) {
    let n = 0;
    for (let k = 0; k < dim; k++) n += v[o + k]! ** 2;
    const s = n > 0 ? 1 / Math.sqrt(n) : 0;
    for (let k = 0; k < dim; k++) v[o + k]! *= s;
  }
}

export interface KMeansOptions {
  iterations?: number;
  seed?: number;
  /** Called after each iteration with (done, total). */
  onIteration?: (done: number, total: number) => void;
  nearest?: NearestCentroids;
}

/**
 * Spherical k-means on unit rows, as colbert-ai trains its centroids (faiss k-means, then
 * normalized): k rows drawn at random to start, then assign to the highest dot product and move
 * each centroid to its members' normalized mean. An empty cluster takes a random row.
 */
export async function kmeans(
  rows: Float32Array,
  n: number,
  dim: number,
  k: number,
  options: KMeansOptions = {},
): Promise<Float32Array> {
  const random = seeded(options.seed ?? 12345);
  const iterations = options.iterations ?? 8;
  const centroids = new Float32Array(k * dim);
  // Distinct starting rows (a partial Fisher-Yates shuffle of the indices).
  const order = Int32Array.from({ length: n }, (_, i) => i);
  for (let c = 0; c < k; c++) {
    const pick = c + Math.floor(random() * (n - c));
    [order[c], order[pick]] = [order[pick]!, order[c]!];
    centroids.set(rows.subarray(order[c]! * dim, (order[c]! + 1) * dim), c * dim);
  }
  const sums = new Float32Array(k * dim);
  const counts = new Int32Array(k);
  for (let it = 0; it < iterations; it++) {
    const assign = await (options.nearest ?? coreNearest)(rows, n, centroids, k, dim);
    sums.fill(0);
    counts.fill(0);
    for (let i = 0; i < n; i++) {
      const c = assign[i]!;
      counts[c]!++;
      const o = c * dim;
      const r = i * dim;
      for (let d = 0; d < dim; d++) sums[o + d]! += rows[r + d]!;
    }
    for (let c = 0; c < k; c++) {
      if (counts[c] === 0) {
        const r = Math.floor(random() * n);
        sums.set(rows.subarray(r * dim, (r + 1) * dim), c * dim);
      }
    }
    centroids.set(sums);
    normalize(centroids, dim);
    options.onIteration?.(it + 1, iterations);
  }
  return centroids;
}
