import type { ResidualCodec } from './codec.js';

/**
 * A compressed late-interaction index (the PLAID layout): centroids, each token row's centroid
 * and packed residual, each document's rows, and the inverted lists centroid → documents. It
 * holds no float rows; search decodes the few candidates it needs.
 */
export interface PlaidIndex {
  dim: number;
  /** Centroids [k, dim], unit rows. */
  centroids: Float32Array;
  k: number;
  codec: ResidualCodec;
  /** Document ids, by document number. */
  ids: string[];
  /** Row offsets: document d's rows are docOffsets[d] .. docOffsets[d + 1]. */
  docOffsets: Uint32Array;
  /** Each row's centroid. */
  codes: Uint32Array;
  /** Each row's residual, residualBytes(dim, nbits) bytes a row. */
  residuals: Uint8Array;
  /** Inverted lists: centroid c's documents are ivfDocs[ivfOffsets[c] .. ivfOffsets[c + 1]], ascending. */
  ivfOffsets: Uint32Array;
  ivfDocs: Uint32Array;
  /** The store version the index was built from: a store at another version has changed since. */
  storeVersion: string;
  /** Token pooling applied at build time (1: none). */
  poolFactor: number;
}

export function rowCount(index: PlaidIndex): number {
  return index.docOffsets[index.ids.length]!;
}
