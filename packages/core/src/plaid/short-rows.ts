/**
 * Rows as 16-bit integers for stage 1 of a search (the query against every centroid), where the
 * kernel multiplies eight pairs an instruction. Each matrix is scaled so that its largest value
 * is q = floor(sqrt((2^31 - 1) / dim)): no dot product of two such rows leaves 32 bits, and a value's
 * step is 1/q of the largest, far below the gaps between centroid scores that the stages rank.
 */
export interface ShortRows {
  data: Int16Array;
  /** value ≈ data * unit */
  unit: number;
}

/** The integer bound for rows of `dim` values (at most 16 bits). */
const shortBound = (dim: number) => Math.min(32767, Math.floor(Math.sqrt((2 ** 31 - 1) / dim)));

export function shortRows(values: Float32Array, count: number, dim: number): ShortRows {
  const n = count * dim;
  let max = 0;
  for (let i = 0; i < n; i++) max = Math.max(max, Math.abs(values[i]!));
  const unit = max > 0 ? max / shortBound(dim) : 1;
  const data = new Int16Array(n);
  for (let i = 0; i < n; i++) data[i] = Math.round(values[i]! / unit);
  return { data, unit };
}

/**
 * out[i * bRows + j] = f32(a_i · b_j summed exactly) * f32(scale), as the kernel's dot_scores_i16
 * computes it to the bit (plain loops where WebAssembly SIMD is missing, and its test).
 */
export function dotScoresShortJs(
  a: Int16Array,
  aRows: number,
  b: Int16Array,
  bRows: number,
  dim: number,
  scale: number,
  out: Float32Array = new Float32Array(aRows * bRows),
): Float32Array {
  const s = Math.fround(scale);
  for (let i = 0; i < aRows; i++)
    for (let j = 0; j < bRows; j++) {
      let sum = 0;
      for (let k = 0; k < dim; k++) sum += a[i * dim + k]! * b[j * dim + k]!;
      out[i * bRows + j] = Math.fround(Math.fround(sum) * s);
    }
  return out;
}
