import type { DenseEmbedding, QuantizedEmbeddings, TokenEmbeddings } from '@tessera/core';
import type { InputText } from './input.js';

type Result = TokenEmbeddings | DenseEmbedding;

// Six decimals: well below float32 rows' noise across engines, and a third of the text.
function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

/** One NDJSON line of `tessera encode`: index, id, tokens, dim, rows (or quantized rows and scales). */
export function toJson(r: Result, input: InputText, q: QuantizedEmbeddings | undefined): string {
  const base: Record<string, unknown> = { index: r.index };
  if (input.id !== undefined) base.id = input.id;
  base.tokens = r.tokens;
  base.dim = r.dim;
  if (r.truncated) base.truncated = true;
  if ('rows' in r) {
    if (q) {
      base.quantization = q.kind;
      base.embeddings = Array.from({ length: q.rows }, (_, i) =>
        Array.from(q.data.subarray(i * q.stride, (i + 1) * q.stride)),
      );
      if (q.scales) base.scales = Array.from(q.scales, round);
    } else
      base.embeddings = Array.from({ length: r.rows }, (_, i) =>
        Array.from(r.data.subarray(i * r.dim, (i + 1) * r.dim), round),
      );
  } else base.embedding = Array.from(r.data, round);
  return JSON.stringify(base);
}
