/**
 * Residual compression as PLAID does it: a row is its nearest centroid plus a residual, and each
 * residual value is stored as the index of its bucket (nbits per value). Bucket cutoffs sit at the
 * quantiles i/2^nbits of a sample's residuals and each bucket decodes to the quantile at its
 * middle, (i + ½)/2^nbits. Unlike colbert-ai, which pools every dimension into one set of
 * cutoffs, each dimension gets its own: a dimension with a narrow spread keeps fine steps.
 */
export interface ResidualCodec {
  dim: number;
  nbits: 1 | 2 | 4;
  /** [dim, 2^nbits - 1] ascending cutoffs per dimension. */
  cutoffs: Float32Array;
  /** [dim, 2^nbits] the value each bucket decodes to, per dimension. */
  weights: Float32Array;
}

export const NBITS = [1, 2, 4] as const;

/** Bytes one row's residual takes. */
export function residualBytes(dim: number, nbits: number): number {
  return Math.ceil((dim * nbits) / 8);
}

function quantile(sorted: Float32Array, q: number): number {
  if (sorted.length === 0) return 0;
  // Linear interpolation between the closest ranks, as torch.quantile's default.
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** The codec for residuals [n, dim] of a sample. */
export function fitCodec(residuals: Float32Array, n: number, dim: number, nbits: 1 | 2 | 4): ResidualCodec {
  const buckets = 1 << nbits;
  const cutoffs = new Float32Array(dim * (buckets - 1));
  const weights = new Float32Array(dim * buckets);
  const column = new Float32Array(n);
  for (let d = 0; d < dim; d++) {
    for (let i = 0; i < n; i++) column[i] = residuals[i * dim + d]!;
    column.sort();
    for (let b = 1; b < buckets; b++) cutoffs[d * (buckets - 1) + b - 1] = quantile(column, b / buckets);
    for (let b = 0; b < buckets; b++) weights[d * buckets + b] = quantile(column, (b + 0.5) / buckets);
  }
  return { dim, nbits, cutoffs, weights };
}

/** Writes the bucket indices of `residual` (dim values) into `out` at `offset`, nbits each, low bits first. */
export function encodeResidual(codec: ResidualCodec, residual: Float32Array, out: Uint8Array, offset: number): void {
  const { dim, nbits, cutoffs } = codec;
  const cuts = (1 << nbits) - 1;
  const bytes = residualBytes(dim, nbits);
  out.fill(0, offset, offset + bytes);
  for (let d = 0; d < dim; d++) {
    const v = residual[d]!;
    let b = 0;
    const base = d * cuts;
    while (b < cuts && v >= cutoffs[base + b]!) b++;
    const bit = d * nbits;
    out[offset + (bit >> 3)]! |= b << (bit & 7);
  }
}

/**
 * out = normalize(centroid + decoded residual): the row as PLAID scores it. `out` gets dim values.
 */
export function decodeRow(
  codec: ResidualCodec,
  centroid: Float32Array,
  centroidOffset: number,
  packed: Uint8Array,
  offset: number,
  out: Float32Array,
): void {
  const { dim, nbits, weights } = codec;
  const mask = (1 << nbits) - 1;
  const buckets = 1 << nbits;
  let norm = 0;
  for (let d = 0; d < dim; d++) {
    const bit = d * nbits;
    const b = (packed[offset + (bit >> 3)]! >> (bit & 7)) & mask;
    const v = centroid[centroidOffset + d]! + weights[d * buckets + b]!;
    out[d] = v;
    norm += v * v;
  }
  const s = norm > 0 ? 1 / Math.sqrt(norm) : 0;
  for (let d = 0; d < dim; d++) out[d]! *= s;
}
