import type { RowMatrix } from '../scoring/maxsim.js';
import { dotScoresJs, shortTable, tableKernel } from './dot-scores.js';
import { dotScoresShortJs, shortRows } from './short-rows.js';
import { paddedRows } from './interaction.js';
import type { PlaidIndex } from './plaid-index.js';

/** Stage 1 of a search: the query against every centroid, and what the later stages read from it. */
export interface CentroidScores {
  /** Scores [k, qPad], one centroid's together (qPad: paddedRows of the query); padding lanes -inf. */
  scoresT: Float32Array;
  qPad: number;
  /** Each centroid's best score over the query rows. */
  centroidMax: Float32Array;
  /** 1 where centroidMax reaches the threshold (the centroids stage 2 keeps). */
  allowed: Uint8Array;
  /** Each query row's `cells` best centroids, best first ([qRows, cells]; -1 where there are fewer). */
  cellIds: Int32Array;
  cells: number;
}

const align = (n: number) => Math.ceil(n / 16) * 16;

/**
 * Scores the query rows against the index's centroids (resident in the kernel's memory) and, in
 * one pass over the table, each centroid's best score and each query row's best centroids; in the
 * SIMD kernel where it runs, else in plain loops.
 */
export function centroidScores(index: PlaidIndex, query: RowMatrix, cells: number, threshold: number): CentroidScores {
  const { dim, k: centroids } = index;
  const qRows = query.rows;
  const qPad = paddedRows(qRows);
  cells = Math.min(cells, centroids);
  const padded = new Float32Array(qPad * dim);
  padded.set(query.data.subarray(0, qRows * dim));
  // Layout after the centroids (offsets from base): query | short query | scores | ids | top | floor | max | allowed.
  const shortQueryAt = align(qPad * dim * 4);
  const scoresAt = align(shortQueryAt + qPad * dim * 2);
  const idsAt = align(scoresAt + centroids * qPad * 4);
  const topAt = align(idsAt + qPad * cells * 4);
  const floorAt = align(topAt + qPad * cells * 4);
  const maxAt = align(floorAt + qPad * 4);
  const allowedAt = align(maxAt + centroids * 4);
  const at = tableKernel(index.centroids, centroids, dim, allowedAt + centroids);
  if (!at) return centroidScoresJs(index, padded, qRows, qPad, cells, threshold);
  const { k: kernel, base, shortAt } = at;
  const buffer = kernel.memory.buffer;
  resetBestCells(buffer, base + idsAt, base + topAt, base + floorAt, qPad, qRows, cells);
  if (shortAt !== undefined) {
    const q = shortRows(padded, qPad, dim);
    new Int16Array(buffer, base + shortQueryAt, qPad * dim).set(q.data);
    const scale = shortTable(index.centroids, centroids, dim).unit * q.unit;
    kernel.dot_scores_i16(shortAt, centroids, base + shortQueryAt, qPad, dim, base + scoresAt, scale);
  } else {
    new Float32Array(buffer, base, qPad * dim).set(padded);
    kernel.dot_scores(0, centroids, base, qPad, dim, base + scoresAt);
  }
  kernel.centroid_pass(
    base + scoresAt,
    centroids,
    qPad,
    qRows,
    cells,
    base + idsAt,
    base + topAt,
    base + floorAt,
    threshold,
    base + maxAt,
    base + allowedAt,
  );
  const slice = (from: number, bytes: number) => buffer.slice(base + from, base + from + bytes);
  return {
    scoresT: new Float32Array(slice(scoresAt, centroids * qPad * 4)),
    qPad,
    centroidMax: new Float32Array(slice(maxAt, centroids * 4)),
    allowed: new Uint8Array(slice(allowedAt, centroids)),
    cellIds: new Int32Array(slice(idsAt, qRows * cells * 4)),
    cells,
  };
}

/**
 * Empties the best-cells lists centroid_pass fills ([qPad, cells] ids and scores, a floor a query
 * row): no cells yet, and padding rows (floor +inf) never take one.
 */
export function resetBestCells(
  buffer: ArrayBuffer,
  idsAt: number,
  topAt: number,
  floorAt: number,
  qPad: number,
  qRows: number,
  cells: number,
): void {
  new Int32Array(buffer, idsAt, qPad * cells).fill(-1);
  new Float32Array(buffer, topAt, qPad * cells).fill(-Infinity);
  const floor = new Float32Array(buffer, floorAt, qPad);
  floor.fill(-Infinity, 0, qRows);
  floor.fill(Infinity, qRows);
}

/** centroidScores in plain loops. */
export function centroidScoresJs(
  index: PlaidIndex,
  padded: Float32Array,
  qRows: number,
  qPad: number,
  cells: number,
  threshold: number,
): CentroidScores {
  // As the kernel scores: through 16-bit rows where dim is a multiple of 8 (the same scores to the bit).
  const { dim } = index;
  const table = dim % 8 === 0 ? shortTable(index.centroids, index.k, dim) : undefined;
  const q = table ? shortRows(padded, qPad, dim) : undefined;
  const scoresT =
    table && q
      ? dotScoresShortJs(table.data, index.k, q.data, qPad, dim, table.unit * q.unit)
      : dotScoresJs(index.centroids, index.k, padded, qPad, dim);
  const centroidMax = new Float32Array(index.k);
  const allowed = new Uint8Array(index.k);
  const cellIds = new Int32Array(qRows * cells).fill(-1);
  const cellScores = new Float32Array(qRows * cells).fill(-Infinity);
  for (let c = 0; c < index.k; c++) {
    const o = c * qPad;
    scoresT.fill(-Infinity, o + qRows, o + qPad);
    let max = -Infinity;
    for (let q = 0; q < qRows; q++) {
      const v = scoresT[o + q]!;
      if (v > max) max = v;
      // Insertion into q's best list (ties keep the lower centroid, which came first).
      let at = q * cells + cells - 1;
      if (!(v > cellScores[at]!)) continue;
      while (at > q * cells && v > cellScores[at - 1]!) {
        cellScores[at] = cellScores[at - 1]!;
        cellIds[at] = cellIds[at - 1]!;
        at--;
      }
      cellScores[at] = v;
      cellIds[at] = c;
    }
    centroidMax[c] = max;
    allowed[c] = max >= threshold ? 1 : 0;
  }
  return { scoresT, qPad, centroidMax, allowed, cellIds, cells };
}
