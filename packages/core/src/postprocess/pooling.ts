import type { ForwardOutput } from '../backend/types.js';
import type { PoolingMode } from '../model/spec.js';

/** Pools the attended rows of one batch item into a single vector (sentence-transformers semantics). */
export function poolRows(out: ForwardOutput, item: number, attention: readonly number[], mode: PoolingMode): Float32Array {
  const { dim, seqLen } = out;
  const base = item * seqLen * dim;
  const v = new Float32Array(dim);
  const attended: number[] = [];
  for (let p = 0; p < attention.length; p++) if (attention[p]) attended.push(p);
  if (!attended.length) return v;
  switch (mode) {
    case 'cls':
      v.set(out.data.subarray(base, base + dim));
      return v;
    case 'lasttoken': {
      const p = attended[attended.length - 1]!;
      v.set(out.data.subarray(base + p * dim, base + (p + 1) * dim));
      return v;
    }
    case 'max': {
      v.fill(-Infinity);
      for (const p of attended) for (let j = 0; j < dim; j++) v[j] = Math.max(v[j]!, out.data[base + p * dim + j]!);
      return v;
    }
    case 'mean': {
      for (const p of attended) for (let j = 0; j < dim; j++) v[j]! += out.data[base + p * dim + j]!;
      for (let j = 0; j < dim; j++) v[j]! /= attended.length;
      return v;
    }
  }
}
