import { TesseraError } from '../errors.js';
import type { RowMatrix } from '../scoring/maxsim.js';
import { invertedLists } from './build.js';
import { residualBytes } from './codec.js';
import { concat, RowCompressor } from './compress.js';
import { unpackRows } from './packed-rows.js';
import { poolRows } from './pooling.js';
import { coreNearest, type NearestCentroids } from './kmeans.js';
import { type Origin, originsOf, type PlaidIndex, sameOrigin } from './plaid-index.js';

export interface PlaidUpdateSource {
  /** Every document the store holds now, by id, with its source and position. */
  entries: ReadonlyMap<string, Origin>;
  /** These documents' rows (a document missing from the answer was removed meanwhile). */
  fetch: (ids: readonly string[]) => Promise<Array<{ id: string; vectors?: RowMatrix; codes?: Uint8Array }>>;
  /** The store's version when `entries` was read. */
  version: string;
}

export interface PlaidUpdateOptions {
  nearest?: NearestCentroids;
  onProgress?: (p: { stage: 'encoding'; done: number; total: number }) => void;
}

export interface PlaidUpdate {
  index: PlaidIndex;
  /** Documents encoded against the existing centroids (new ids and replaced ones). */
  added: number;
  /** Documents of the old index that are gone or were replaced (their codes dropped). */
  removed: number;
}

/** Documents fetched from the store at a time. */
const FETCH_BATCH = 256;

/**
 * Brings an index up to date with the store without retraining: documents whose id, source and
 * position are unchanged keep their codes; the others (new, or replaced under their id) are
 * assigned to the existing centroids and their residuals packed with the existing buckets;
 * documents no longer in the store, and the replaced versions, are dropped.
 */
export async function updatePlaidIndex(
  old: PlaidIndex,
  source: PlaidUpdateSource,
  options: PlaidUpdateOptions = {},
): Promise<PlaidUpdate> {
  const kept: number[] = [];
  const keptIds = new Set<string>();
  for (let d = 0; d < old.ids.length; d++)
    if (sameOrigin(old, d, source.entries.get(old.ids[d]!))) {
      kept.push(d);
      keptIds.add(old.ids[d]!);
    }
  const wanted = [...source.entries.keys()].filter((id) => !keptIds.has(id));
  if (kept.length + wanted.length === 0)
    throw new TesseraError('INVALID_INPUT', 'the store holds no documents: nothing to index', {});

  // Made on the first document with float rows: a compressed-only store's come with their codes,
  // appended as they are, and its compressor's block of rows is never needed.
  let compressor: RowCompressor | undefined;
  const addedIds: string[] = [];
  const addedLengths: number[] = [];
  const packed: { codes: Uint32Array; residuals: Uint8Array }[] = [];
  for (let i = 0; i < wanted.length; i += FETCH_BATCH) {
    for (const doc of await source.fetch(wanted.slice(i, i + FETCH_BATCH))) {
      if (doc.codes) {
        const u = unpackRows(doc.codes, old, doc.id);
        packed.push(u);
        addedIds.push(doc.id);
        addedLengths.push(u.rows);
        continue;
      }
      if (!doc.vectors) continue;
      const v = old.poolFactor > 1 ? poolRows(doc.vectors, old.poolFactor) : doc.vectors;
      compressor ??= new RowCompressor(old.centroids, old.k, old.codec, options.nearest ?? coreNearest);
      await compressor.push(doc.id, v);
      addedIds.push(doc.id);
      addedLengths.push(v.rows);
    }
    options.onProgress?.({ stage: 'encoding', done: Math.min(i + FETCH_BATCH, wanted.length), total: wanted.length });
  }
  if (packed.length && compressor)
    throw new TesseraError(
      'INVALID_INPUT',
      'the store returned documents with codes and documents with rows: one kind only',
      {},
    );
  const rb = residualBytes(old.dim, old.codec.nbits);
  const addedRows = addedLengths.reduce((a, b) => a + b, 0);
  const fresh = compressor
    ? await compressor.finish()
    : {
        codes: concat(
          packed.map((p) => p.codes),
          Uint32Array,
          addedRows,
        ),
        residuals: concat(
          packed.map((p) => p.residuals),
          Uint8Array,
          addedRows * rb,
        ),
      };

  const ids = [...kept.map((d) => old.ids[d]!), ...addedIds];
  const docOffsets = new Uint32Array(ids.length + 1);
  kept.forEach((d, i) => {
    docOffsets[i + 1] = docOffsets[i]! + old.docOffsets[d + 1]! - old.docOffsets[d]!;
  });
  addedLengths.forEach((n, i) => {
    docOffsets[kept.length + i + 1] = docOffsets[kept.length + i]! + n;
  });
  const rows = docOffsets[ids.length]!;
  const codes = new Uint32Array(rows);
  const residuals = new Uint8Array(rows * rb);
  kept.forEach((d, i) => {
    const from = old.docOffsets[d]!;
    const to = old.docOffsets[d + 1]!;
    codes.set(old.codes.subarray(from, to), docOffsets[i]!);
    residuals.set(old.residuals.subarray(from * rb, to * rb), docOffsets[i]! * rb);
  });
  const at = docOffsets[kept.length]!;
  codes.set(fresh.codes, at);
  residuals.set(fresh.residuals, at * rb);
  const { ivfOffsets, ivfDocs } = invertedLists(codes, docOffsets, old.k);
  return {
    index: {
      ...old,
      ids,
      docOffsets,
      codes,
      residuals,
      ivfOffsets,
      ivfDocs,
      storeVersion: source.version,
      origins: originsOf(ids, source.entries),
    },
    added: addedIds.length,
    removed: old.ids.length - kept.length,
  };
}
