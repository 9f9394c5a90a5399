import { TesseraError } from '../errors.js';
import type { RowMatrix } from '../scoring/maxsim.js';

/**
 * Token pooling as PyLate's `pool_embeddings_hierarchical` does it: the first row is kept as it
 * is; the other n rows are clustered into max(floor(n / factor), 1) groups and each group is
 * replaced by its mean. The clustering is scipy's Ward linkage cut by `fcluster(maxclust)`,
 * applied, as PyLate applies it, to the rows of the n x n cosine-distance matrix taken as
 * observations (scipy's linkage reads a square array as n points in n dimensions). Pooled rows
 * come first, ordered by their first member, and the kept row last, as PyLate returns them.
 * Hand-written: no JS library does Ward linkage in a form a browser can run.
 */
export function poolRows(m: RowMatrix, factor: number, protectedRows = 1): RowMatrix {
  if (!Number.isInteger(factor) || factor < 1)
    throw new TesseraError('INVALID_OPTION', `poolFactor must be a positive integer (got ${JSON.stringify(factor)})`, {
      field: 'poolFactor',
    });
  const { dim } = m;
  const keep = Math.min(protectedRows, m.rows);
  const n = m.rows - keep;
  if (factor === 1 || n < 2) return m;
  const rest = m.data.subarray(keep * dim, m.rows * dim);
  const labels = wardClusters(rest, n, dim, Math.max(Math.floor(n / factor), 1));
  const groups = Math.max(...labels) + 1;
  const out = new Float32Array((groups + keep) * dim);
  const sums = new Float64Array(groups * dim);
  const counts = new Uint32Array(groups);
  for (let i = 0; i < n; i++) {
    counts[labels[i]!]!++;
    for (let c = 0; c < dim; c++) sums[labels[i]! * dim + c]! += rest[i * dim + c]!;
  }
  for (let g = 0; g < groups; g++) for (let c = 0; c < dim; c++) out[g * dim + c] = sums[g * dim + c]! / counts[g]!;
  out.set(m.data.subarray(0, keep * dim), groups * dim);
  return { data: out, rows: groups + keep, dim };
}

/**
 * Ward clusters of the rows of D (D[i][k] = 1 - e_i . e_k) as points, cut to at most `t`
 * clusters; labels numbered by each cluster's first row.
 */
function wardClusters(e: Float32Array, n: number, dim: number, t: number): Int32Array {
  const d2 = rowDistances(e, n, dim);
  const merges = nearestNeighbourChain(d2, n);
  // fcluster(maxclust): the lowest height at which at most t clusters remain; every merge at or below it.
  merges.sort((a, b) => a.height - b.height);
  const limit = merges[n - t - 1]?.height ?? -1;
  const parent = Int32Array.from({ length: n }, (_, i) => i);
  const find = (x: number): number => {
    while (parent[x] !== x) x = parent[x] = parent[parent[x]!]!;
    return x;
  };
  for (const m of merges) {
    if (m.height > limit) break;
    parent[find(m.a)] = find(m.b);
  }
  const labels = new Int32Array(n);
  const number = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const root = find(i);
    if (!number.has(root)) number.set(root, number.size);
    labels[i] = number.get(root)!;
  }
  return labels;
}

/**
 * Ward's merges by the nearest-neighbour chain (as scipy's linkage runs ward): each merge as a
 * representative row of each side and its height (the Ward distance, not squared).
 */
function nearestNeighbourChain(d2: Float64Array, n: number): Array<{ a: number; b: number; height: number }> {
  const size = new Float64Array(n).fill(1);
  const alive = new Uint8Array(n).fill(1);
  const merges: Array<{ a: number; b: number; height: number }> = [];
  const chain: number[] = [];
  while (merges.length < n - 1) {
    if (!chain.length) chain.push(alive.indexOf(1));
    for (;;) {
      const x = chain[chain.length - 1]!;
      const prev = chain.length > 1 ? chain[chain.length - 2]! : -1;
      // The nearest live cluster to x; the previous link wins ties, so chains end.
      let best = prev;
      let bestD = prev >= 0 ? d2[x * n + prev]! : Infinity;
      for (let y = 0; y < n; y++) {
        if (!alive[y] || y === x) continue;
        const d = d2[x * n + y]!;
        if (d < bestD) {
          bestD = d;
          best = y;
        }
      }
      if (best === prev) {
        chain.length -= 2;
        const [a, b] = x < prev ? [x, prev] : [prev, x];
        merges.push({ a, b, height: Math.sqrt(bestD) });
        // b joins a: a's row holds the merged cluster's distances.
        const na = size[a]!;
        const nb = size[b]!;
        for (let k = 0; k < n; k++) {
          if (!alive[k] || k === a || k === b) continue;
          const nk = size[k]!;
          const v = ((na + nk) * d2[a * n + k]! + (nb + nk) * d2[b * n + k]! - nk * bestD) / (na + nb + nk);
          d2[a * n + k] = d2[k * n + a] = v;
        }
        size[a] = na + nb;
        alive[b] = 0;
        break;
      }
      chain.push(best);
    }
  }
  return merges;
}

/**
 * Squared distances between the rows of D, the cheaper of two exact ways: through S = E E^T
 * (D_i - D_j = S_j - S_i row-wise, n³/2 + n²·dim/2), or through G = E^T E
 * (||D_i - D_j||² = (e_i - e_j)^T G (e_i - e_j), 2·n·dim² + n²·dim/2) when dim is small beside n.
 */
function rowDistances(e: Float32Array, n: number, dim: number): Float64Array {
  const d2 = new Float64Array(n * n);
  if (n * n <= 4 * dim * dim) {
    const sim = new Float64Array(n * n);
    for (let i = 0; i < n; i++)
      for (let j = i; j < n; j++) {
        let dot = 0;
        for (let c = 0; c < dim; c++) dot += e[i * dim + c]! * e[j * dim + c]!;
        sim[i * n + j] = sim[j * n + i] = dot;
      }
    const norm = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += sim[i * n + k]! * sim[i * n + k]!;
      norm[i] = s;
    }
    for (let i = 0; i < n; i++)
      for (let j = i + 1; j < n; j++) {
        let cross = 0;
        for (let k = 0; k < n; k++) cross += sim[i * n + k]! * sim[j * n + k]!;
        d2[i * n + j] = d2[j * n + i] = Math.max(0, norm[i]! + norm[j]! - 2 * cross);
      }
    return d2;
  }
  const g = new Float64Array(dim * dim);
  for (let i = 0; i < n; i++)
    for (let a = 0; a < dim; a++) {
      const x = e[i * dim + a]!;
      for (let b = 0; b < dim; b++) g[a * dim + b]! += x * e[i * dim + b]!;
    }
  const f = new Float64Array(n * dim);
  for (let i = 0; i < n; i++)
    for (let b = 0; b < dim; b++) {
      let s = 0;
      for (let a = 0; a < dim; a++) s += e[i * dim + a]! * g[a * dim + b]!;
      f[i * dim + b] = s;
    }
  const self = new Float64Array(n);
  for (let i = 0; i < n; i++) for (let c = 0; c < dim; c++) self[i]! += e[i * dim + c]! * f[i * dim + c]!;
  for (let i = 0; i < n; i++)
    for (let j = i + 1; j < n; j++) {
      let cross = 0;
      for (let c = 0; c < dim; c++) cross += e[i * dim + c]! * f[j * dim + c]!;
      d2[i * n + j] = d2[j * n + i] = Math.max(0, self[i]! + self[j]! - 2 * cross);
    }
  return d2;
}
