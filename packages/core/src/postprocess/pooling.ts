import type { ForwardOutput } from '../backend/types.js';
import type { PoolingMode } from '../model/spec.js';

/** One pooling mode over the rows of one batch item where `mask` is 1 (sentence-transformers' Pooling). */
function poolOne(out: ForwardOutput, item: number, mask: readonly number[], mode: PoolingMode): Float32Array {
  const { dim, seqLen } = out;
  const base = item * seqLen * dim;
  const row = (p: number) => out.data.subarray(base + p * dim, base + (p + 1) * dim);
  const v = new Float32Array(dim);
  const kept: number[] = [];
  for (let p = 0; p < mask.length; p++) if (mask[p]) kept.push(p);
  switch (mode) {
    case 'cls':
      // The first pooled row (argmax of the mask: row 0 when none is pooled).
      v.set(row(kept[0] ?? 0));
      return v;
    case 'lasttoken':
      // The last pooled row; nothing pooled gives zeros, as the reference multiplies by the mask.
      if (kept.length) v.set(row(kept[kept.length - 1]!));
      return v;
    case 'max':
      v.fill(-Infinity);
      for (const p of kept) {
        const r = row(p);
        for (let j = 0; j < dim; j++) if (r[j]! > v[j]!) v[j] = r[j]!;
      }
      return v;
    case 'mean':
    case 'mean_sqrt_len_tokens': {
      for (const p of kept) {
        const r = row(p);
        for (let j = 0; j < dim; j++) v[j]! += r[j]!;
      }
      const n = Math.max(kept.length, 1e-9);
      const d = mode === 'mean' ? n : Math.sqrt(n);
      for (let j = 0; j < dim; j++) v[j]! /= d;
      return v;
    }
    case 'weightedmean': {
      // Weights are positions counted from 1.
      let w = 0;
      for (const p of kept) {
        const r = row(p);
        for (let j = 0; j < dim; j++) v[j]! += r[j]! * (p + 1);
        w += p + 1;
      }
      for (let j = 0; j < dim; j++) v[j]! /= Math.max(w, 1e-9);
      return v;
    }
  }
}

/** Pools one batch item with each mode and concatenates the results in order. */
export function poolRows(
  out: ForwardOutput,
  item: number,
  mask: readonly number[],
  modes: readonly PoolingMode[],
): Float32Array {
  if (modes.length === 1) return poolOne(out, item, mask, modes[0]!);
  const v = new Float32Array(out.dim * modes.length);
  modes.forEach((m, k) => v.set(poolOne(out, item, mask, m), k * out.dim));
  return v;
}
