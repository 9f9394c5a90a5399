import type { ForwardOutput } from '../backend/types.js';
import type { TokenEmbeddings } from '../types.js';

/** L2-normalizes `rows` rows of `dim` floats in place. Zero rows stay zero. */
export function normalizeRows(data: Float32Array, rows: number, dim: number): void {
  for (let r = 0; r < rows; r++) {
    const o = r * dim;
    let s = 0;
    for (let j = 0; j < dim; j++) s += data[o + j]! * data[o + j]!;
    // PyTorch's F.normalize clamps the norm at 1e-12.
    const inv = 1 / Math.max(Math.sqrt(s), 1e-12);
    for (let j = 0; j < dim; j++) data[o + j]! *= inv;
  }
}

/**
 * Copies the kept positions of one batch item out of a forward output, truncated to `dim`
 * (Matryoshka: truncate after the projection, then normalize), and normalizes each row unless
 * the model has no Normalize module.
 */
export function extractRows(
  out: ForwardOutput,
  item: number,
  positions: readonly number[],
  ids: readonly number[],
  dim: number,
  meta: { index: number; tokens: number; truncated: boolean },
  normalize = true,
): TokenEmbeddings {
  const rows = positions.length;
  const data = new Float32Array(rows * dim);
  const tokenIds = new Int32Array(rows);
  const base = item * out.seqLen * out.dim;
  for (let r = 0; r < rows; r++) {
    const p = positions[r]!;
    const src = base + p * out.dim;
    data.set(out.data.subarray(src, src + dim), r * dim);
    tokenIds[r] = ids[p]!;
  }
  if (normalize) normalizeRows(data, rows, dim);
  return { index: meta.index, rows, dim, data, tokenIds, tokens: meta.tokens, truncated: meta.truncated };
}
