import { TesseraError } from '../errors.js';
import type { PackedRows } from '../backend/types.js';

/** Documents of similar length padded to one length: what an engine's batched MatMul takes. */
export interface LengthChunk {
  /** n x length x dim floats, row-major. */
  data: Float32Array;
  n: number;
  length: number;
  /** Input index of each of the n documents. */
  index: Int32Array;
}

/**
 * Sorts documents by length and cuts them into chunks of at most about `chunkRows` padded rows
 * (one document may exceed it alone), each padded to its longest document by repeating every
 * document's last row: a repeated row cannot change a maximum, so engines need no mask.
 * Documents without rows are left out (they score 0). Engine scorers of every backend use it.
 */
export function lengthChunks(packed: PackedRows, chunkRows: number): LengthChunk[] {
  const { data, offsets, dim } = packed;
  const count = offsets.length - 1;
  const len = (d: number) => offsets[d + 1]! - offsets[d]!;
  const order = Array.from({ length: count }, (_, i) => i)
    .filter((d) => len(d) > 0)
    .sort((a, b) => len(a) - len(b));
  const chunks: LengthChunk[] = [];
  let at = 0;
  while (at < order.length) {
    // Sorted by length, so a chunk's last document is its longest.
    let end = at + 1;
    while (end < order.length && (end + 1 - at) * len(order[end]!) <= chunkRows) end++;
    const length = len(order[end - 1]!);
    const n = end - at;
    const buf = new Float32Array(n * length * dim);
    const index = new Int32Array(n);
    for (let k = 0; k < n; k++) {
      const d = order[at + k]!;
      index[k] = d;
      const first = offsets[d]!;
      const rows = len(d);
      buf.set(data.subarray(first * dim, (first + rows) * dim), k * length * dim);
      const last = data.subarray((first + rows - 1) * dim, (first + rows) * dim);
      for (let r = rows; r < length; r++) buf.set(last, (k * length + r) * dim);
    }
    chunks.push({ data: buf, n, length, index });
    at = end;
  }
  return chunks;
}

/** Queries scored together: `count` queries from `first`, each padded to `rows` rows, [count * rows, dim]. */
export interface QueryGroup {
  first: number;
  count: number;
  rows: number;
  data: Float32Array;
}

/**
 * Queries for an engine's batched MatMul: checked against the documents' dimension, padded with
 * zero rows to the longest (a zero row's best dot product is 0, so it adds nothing), and cut into
 * groups of at most `maxColumns / rows` queries so that each product stays near the cache.
 */
export function queryGroups(
  queries: ReadonlyArray<{ rows: number; dim: number; data: Float32Array }>,
  dim: number,
  maxColumns: number,
): QueryGroup[] {
  for (const q of queries)
    if (q.dim !== dim)
      throw new TesseraError('DIMENSION_MISMATCH', `query has dimension ${q.dim} but the documents have ${dim}`, {
        query: q.dim,
        document: dim,
      });
  const rows = Math.max(1, ...queries.map((q) => q.rows));
  const per = Math.max(1, Math.floor(maxColumns / rows));
  const groups: QueryGroup[] = [];
  for (let first = 0; first < queries.length; first += per) {
    const part = queries.slice(first, first + per);
    const data = new Float32Array(part.length * rows * dim);
    part.forEach((q, j) => data.set(q.data.subarray(0, q.rows * dim), j * rows * dim));
    groups.push({ first, count: part.length, rows, data });
  }
  return groups;
}

/**
 * Puts an engine's scores for one chunk and one query group back in input order: `scores` holds
 * [documents, group.count] values from row `fromRow`; chunk document k is input document index[k].
 */
export function scatterScores(
  out: Float32Array[],
  group: QueryGroup,
  index: Int32Array,
  scores: Float32Array,
  fromRow = 0,
): void {
  for (let k = 0; k < index.length; k++) {
    const row = (fromRow + k) * group.count;
    for (let j = 0; j < group.count; j++) out[group.first + j]![index[k]!] = scores[row + j]!;
  }
}
