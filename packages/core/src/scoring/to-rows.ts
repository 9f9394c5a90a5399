import { TesseraError } from '../errors.js';
import type { RowMatrix } from './maxsim.js';

/**
 * Token rows as plain arrays, one number[] a row: the multivector shape that vector database
 * clients take (Qdrant's `multivector`, LanceDB's list-of-vectors column). A dense embedding
 * (no `rows`) gives its one vector as a single row.
 */
export function toRows(embedding: RowMatrix | { dim: number; data: Float32Array }): number[][] {
  if (!embedding || !(embedding.data instanceof Float32Array))
    throw new TesseraError('INVALID_INPUT', 'toRows takes embeddings with a Float32Array "data"', {});
  const { dim, data } = embedding;
  const rows = 'rows' in embedding && typeof embedding.rows === 'number' ? embedding.rows : 1;
  if (data.length < rows * dim)
    throw new TesseraError(
      'INVALID_INPUT',
      `the embeddings claim ${rows} rows of ${dim} but hold ${data.length} floats`,
      {},
    );
  return Array.from({ length: rows }, (_, r) => Array.from(data.subarray(r * dim, (r + 1) * dim)));
}
