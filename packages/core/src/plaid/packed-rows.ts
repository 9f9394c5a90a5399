import { TesseraError } from '../errors.js';
import type { RowMatrix } from '../scoring/maxsim.js';
import { decodeRow, residualBytes } from './codec.js';
import type { TrainedCodec } from './train.js';

/** What reading packed rows needs of a codec (a TrainedCodec, or an index built on one). */
export type RowCodec = Pick<TrainedCodec, 'dim' | 'k' | 'codec' | 'centroids'>;

/**
 * A document's rows as a compressed-only store keeps them (StoreRecord.codes): each row's
 * centroid as a little-endian u32, then each row's packed residual.
 */
export function packRows(codes: Uint32Array, residuals: Uint8Array): Uint8Array {
  const out = new Uint8Array(codes.length * 4 + residuals.length);
  const view = new DataView(out.buffer);
  for (let r = 0; r < codes.length; r++) view.setUint32(r * 4, codes[r]!, true);
  out.set(residuals, codes.length * 4);
  return out;
}

/** A document's packed rows back as centroids and residuals; `id` names it when they do not fit the codec. */
export function unpackRows(
  packed: Uint8Array,
  trained: RowCodec,
  id: string,
): { rows: number; codes: Uint32Array; residuals: Uint8Array } {
  const rb = residualBytes(trained.dim, trained.codec.nbits);
  const rows = packed.length / (4 + rb);
  const fail = (why: string): never => {
    throw new TesseraError('CORRUPT_FILE', `document ${JSON.stringify(id)}: its stored codes ${why}`, { id });
  };
  if (!Number.isInteger(rows) || rows < 1) fail(`are ${packed.length} bytes, not whole rows of ${4 + rb}`);
  const view = new DataView(packed.buffer, packed.byteOffset, packed.byteLength);
  const codes = new Uint32Array(rows);
  for (let r = 0; r < rows; r++) {
    codes[r] = view.getUint32(r * 4, true);
    if (codes[r]! >= trained.k) fail(`name centroid ${codes[r]} at row ${r}, of ${trained.k}`);
  }
  return { rows, codes, residuals: packed.subarray(rows * 4) };
}

/** A document's rows decoded from its packed codes (normalized, as the index scores them). */
export function decodeRows(packed: Uint8Array, trained: RowCodec, id: string): RowMatrix {
  const { rows, codes, residuals } = unpackRows(packed, trained, id);
  const { dim, codec, centroids } = trained;
  const rb = residualBytes(dim, codec.nbits);
  const data = new Float32Array(rows * dim);
  const row = new Float32Array(dim);
  for (let r = 0; r < rows; r++) {
    decodeRow(codec, centroids, codes[r]! * dim, residuals, r * rb, row);
    data.set(row, r * dim);
  }
  return { rows, dim, data };
}
