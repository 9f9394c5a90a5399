import { TesseraError } from '../errors.js';
import type { RowMatrix } from '../scoring/maxsim.js';
import { encodeResidual, type ResidualCodec, residualBytes } from './codec.js';
import type { NearestCentroids } from './kmeans.js';

/** Rows encoded per call to `nearest`. */
const ASSIGN_BLOCK = 1 << 15;

/**
 * Token rows → each row's nearest centroid and packed residual, in blocks (one call to the
 * engine's nearest-centroid GEMM per block). Used by the build's second pass and by updates.
 */
export class RowCompressor {
  private block: Float32Array;
  private blockRows = 0;
  private readonly codeChunks: Uint32Array[] = [];
  private readonly residualChunks: Uint8Array[] = [];
  private readonly rb: number;
  rows = 0;

  constructor(
    private readonly centroids: Float32Array,
    private readonly k: number,
    private readonly codec: ResidualCodec,
    private readonly nearest: NearestCentroids,
  ) {
    this.rb = residualBytes(codec.dim, codec.nbits);
    this.block = new Float32Array(ASSIGN_BLOCK * codec.dim);
  }

  /** Adds one document's rows; `id` names it when its width is not the index's. */
  async push(id: string, v: RowMatrix): Promise<void> {
    const dim = this.codec.dim;
    if (v.dim !== dim)
      throw new TesseraError(
        'DIMENSION_MISMATCH',
        `document ${JSON.stringify(id)} has rows of ${v.dim}, the index ${dim}`,
        {
          id,
        },
      );
    for (let r = 0; r < v.rows; r++) {
      if (this.blockRows * dim >= this.block.length) await this.flush();
      this.block.set(v.data.subarray(r * dim, (r + 1) * dim), this.blockRows * dim);
      this.blockRows++;
    }
    this.rows += v.rows;
  }

  /** Every pushed row's centroid and residual, in push order. */
  async finish(): Promise<{ codes: Uint32Array; residuals: Uint8Array }> {
    await this.flush();
    this.block = new Float32Array(0);
    return {
      codes: concat(this.codeChunks, Uint32Array, this.rows),
      residuals: concat(this.residualChunks, Uint8Array, this.rows * this.rb),
    };
  }

  private async flush(): Promise<void> {
    if (this.blockRows === 0) return;
    const dim = this.codec.dim;
    const n = this.blockRows;
    const rows = this.block.subarray(0, n * dim);
    const codes = await this.nearest(rows, n, this.centroids, this.k, dim);
    const packed = new Uint8Array(n * this.rb);
    const residual = new Float32Array(dim);
    for (let i = 0; i < n; i++) {
      const c = codes[i]! * dim;
      for (let d = 0; d < dim; d++) residual[d] = rows[i * dim + d]! - this.centroids[c + d]!;
      encodeResidual(this.codec, residual, packed, i * this.rb);
    }
    this.codeChunks.push(Uint32Array.from(codes));
    this.residualChunks.push(packed);
    this.blockRows = 0;
  }
}

export function concat<T extends Uint32Array | Uint8Array>(
  chunks: T[],
  Kind: { new (n: number): T },
  length: number,
): T {
  const out = new Kind(length);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
