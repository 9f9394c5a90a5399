import { TesseraError } from '../errors.js';

function check(a: Float32Array, b: Float32Array): void {
  if (a.length !== b.length)
    throw new TesseraError('DIMENSION_MISMATCH', `vectors have dimensions ${a.length} and ${b.length}`, {
      a: a.length,
      b: b.length,
    });
}

export function dot(a: Float32Array, b: Float32Array): number {
  check(a, b);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/** Cosine similarity; 0 when either vector is all zeros. */
export function cosine(a: Float32Array, b: Float32Array): number {
  check(a, b);
  let s = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    s += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return na === 0 || nb === 0 ? 0 : s / Math.sqrt(na * nb);
}
