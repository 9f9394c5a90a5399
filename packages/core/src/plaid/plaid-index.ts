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
  /** Where each document came from, so an update keeps the codes of documents that did not change. */
  origins: DocOrigins;
  /** Token rows the centroids were trained on (the corpus at the last full build). */
  trainedRows: number;
}

/** The store's identity of a document besides its id: its source and position (what resuming compares). */
export interface Origin {
  source: string;
  seq: number;
}

/**
 * Documents' origins, compactly: document d came from sources[refs[2d]] at position refs[2d + 1];
 * refs[2d] is UNKNOWN_SOURCE when the store did not say (such a document is re-encoded by updates).
 */
export interface DocOrigins {
  sources: string[];
  refs: Uint32Array;
}

export const UNKNOWN_SOURCE = 0xffffffff;

/** Origins of `ids` from the store's entries. */
export function originsOf(ids: readonly string[], entries: ReadonlyMap<string, Origin>): DocOrigins {
  const sources: string[] = [];
  const at = new Map<string, number>();
  const refs = new Uint32Array(ids.length * 2);
  ids.forEach((id, d) => {
    const o = entries.get(id);
    if (!o || !Number.isInteger(o.seq) || o.seq < 0 || o.seq >= UNKNOWN_SOURCE) {
      refs[2 * d] = UNKNOWN_SOURCE;
      return;
    }
    let s = at.get(o.source);
    if (s === undefined) {
      s = sources.length;
      sources.push(o.source);
      at.set(o.source, s);
    }
    refs[2 * d] = s;
    refs[2 * d + 1] = o.seq;
  });
  return { sources, refs };
}

/** Whether document d of the index is the entry the store holds now under its id. */
export function sameOrigin(index: PlaidIndex, d: number, now: Origin | undefined): boolean {
  const s = index.origins.refs[2 * d]!;
  return (
    !!now &&
    s !== UNKNOWN_SOURCE &&
    index.origins.sources[s] === now.source &&
    index.origins.refs[2 * d + 1] === now.seq
  );
}

export function rowCount(index: PlaidIndex): number {
  return index.docOffsets[index.ids.length]!;
}
