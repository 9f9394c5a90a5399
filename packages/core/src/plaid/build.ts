import { TesseraError } from '../errors.js';
import type { RowMatrix } from '../scoring/maxsim.js';
import { residualBytes } from './codec.js';
import { concat, RowCompressor } from './compress.js';
import { unpackRows } from './packed-rows.js';
import { poolRows } from './pooling.js';
import { seeded } from '../random.js';
import { coreNearest, type NearestCentroids } from './kmeans.js';
import { checkNbits, plaidSampleSize, type TrainedCodec, trainCodec } from './train.js';
import { type Origin, originsOf, type PlaidIndex } from './plaid-index.js';

export type { NearestCentroids };

export interface PlaidBuildOptions {
  /** Bits per residual value: 1, 2 (default) or 4. */
  nbits?: 1 | 2 | 4;
  /** Centroid count (default PLAID's 2^floor(log2(16·√rows))). */
  centroids?: number;
  /**
   * Token pooling before compression (PyLate's hierarchical pooling, see poolRows): each
   * document's rows clustered to about 1/poolFactor of them. 1 (default): none. The stored float
   * rows are not pooled: the best candidates are still rescored exactly from them.
   */
  poolFactor?: number;
  /** k-means iterations (default 4, colbert-ai's). */
  iterations?: number;
  seed?: number;
  nearest?: NearestCentroids;
  onProgress?: (p: { stage: 'sampling' | 'centroids' | 'encoding'; done: number; total: number }) => void;
}

export interface PlaidSource {
  /** Documents in the store. */
  count: number;
  /** Every document with its rows, in a stable order; called once per pass. */
  documents: () => AsyncIterable<{ id: string; vectors: RowMatrix; codes?: Uint8Array }>;
  /** What the index records, so that a later change to the store shows. */
  version: string;
  /** Each document's source and position in the store, by id (updates compare them). */
  origins?: ReadonlyMap<string, Origin>;
}

/**
 * Builds a compressed index from a store's documents in two passes: a sample of documents
 * (PLAID's size, 16·√(120·documents)) trains the centroids and the residual buckets, then every
 * row is assigned to its nearest centroid and its residual packed.
 */
export async function buildPlaidIndex(source: PlaidSource, options: PlaidBuildOptions = {}): Promise<PlaidIndex> {
  checkNbits(options.nbits ?? 2);
  if (source.count === 0) throw new TesseraError('INVALID_INPUT', 'the store holds no documents: nothing to index', {});
  const poolFactor = options.poolFactor ?? 1;
  if (!Number.isInteger(poolFactor) || poolFactor < 1)
    throw new TesseraError(
      'INVALID_OPTION',
      `poolFactor must be a positive integer (got ${JSON.stringify(poolFactor)})`,
      {
        field: 'poolFactor',
      },
    );
  const pooled = (v: RowMatrix) => (poolFactor > 1 ? poolRows(v, poolFactor) : v);
  const random = seeded(options.seed ?? 12345);
  const nearest = options.nearest ?? coreNearest;

  // Pass 1: a seeded sample of documents.
  const wanted = plaidSampleSize(source.count);
  const chosen = new Set<number>();
  while (chosen.size < wanted) chosen.add(Math.floor(random() * source.count));
  const sample: Float32Array[] = [];
  let dim = 0;
  let sampleRows = 0;
  let seen = 0;
  for await (const doc of source.documents()) {
    if (chosen.has(seen)) {
      const v = pooled(doc.vectors);
      dim = v.dim;
      sample.push(v.data.slice(0, v.rows * dim));
      sampleRows += v.rows;
    }
    seen++;
    if (seen % 1000 === 0) options.onProgress?.({ stage: 'sampling', done: seen, total: source.count });
  }
  if (sampleRows === 0)
    throw new TesseraError('INVALID_INPUT', 'the sampled documents have no rows: nothing to index', {});
  const all = new Float32Array(sampleRows * dim);
  let at = 0;
  for (const s of sample) {
    all.set(s, at);
    at += s.length;
  }
  const trained = await trainCodec(
    all,
    sampleRows,
    dim,
    sample.length,
    source.count,
    {
      ...options,
      onIteration: (done, total) => options.onProgress?.({ stage: 'centroids', done, total }),
    },
    random,
  );
  const { centroids, k, codec } = trained;

  // Pass 2: every row's centroid and residual.
  const ids: string[] = [];
  const lengths: number[] = [];
  const compressor = new RowCompressor(centroids, k, codec, nearest);
  for await (const doc of source.documents()) {
    const v = pooled(doc.vectors);
    await compressor.push(doc.id, v);
    ids.push(doc.id);
    lengths.push(v.rows);
    if (ids.length % 1000 === 0) options.onProgress?.({ stage: 'encoding', done: ids.length, total: source.count });
  }
  const { codes, residuals } = await compressor.finish();
  options.onProgress?.({ stage: 'encoding', done: ids.length, total: ids.length });

  const docOffsets = new Uint32Array(ids.length + 1);
  for (let d = 0; d < ids.length; d++) docOffsets[d + 1] = docOffsets[d]! + lengths[d]!;
  const { ivfOffsets, ivfDocs } = invertedLists(codes, docOffsets, k);
  return {
    dim,
    centroids,
    k,
    codec,
    ids,
    docOffsets,
    codes,
    residuals,
    ivfOffsets,
    ivfDocs,
    storeVersion: source.version,
    poolFactor,
    origins: originsOf(ids, source.origins ?? new Map()),
    trainedRows: codes.length,
  };
}

/**
 * The index of a compressed-only store, assembled from the codes its documents were written with
 * (no float rows to train on or encode): the stored codec's centroids and buckets, each
 * document's packed rows, and the inverted lists.
 */
export async function assemblePlaidIndex(
  trained: TrainedCodec,
  source: Pick<PlaidSource, 'documents' | 'version' | 'origins'>,
): Promise<PlaidIndex> {
  const ids: string[] = [];
  const codeChunks: Uint32Array[] = [];
  const residualChunks: Uint8Array[] = [];
  const lengths: number[] = [];
  let rows = 0;
  for await (const doc of source.documents()) {
    if (!doc.codes)
      throw new TesseraError(
        'CORRUPT_FILE',
        `document ${JSON.stringify(doc.id)} has no codes in a compressed-only store`,
        {
          id: doc.id,
        },
      );
    const u = unpackRows(doc.codes, trained, doc.id);
    ids.push(doc.id);
    lengths.push(u.rows);
    codeChunks.push(u.codes);
    residualChunks.push(u.residuals);
    rows += u.rows;
  }
  if (!ids.length) throw new TesseraError('INVALID_INPUT', 'the store holds no documents: nothing to index', {});
  const codes = concat(codeChunks, Uint32Array, rows);
  const residuals = concat(residualChunks, Uint8Array, rows * residualBytes(trained.dim, trained.codec.nbits));
  const docOffsets = new Uint32Array(ids.length + 1);
  for (let d = 0; d < ids.length; d++) docOffsets[d + 1] = docOffsets[d]! + lengths[d]!;
  return {
    dim: trained.dim,
    centroids: trained.centroids,
    k: trained.k,
    codec: trained.codec,
    ids,
    docOffsets,
    codes,
    residuals,
    ...invertedLists(codes, docOffsets, trained.k),
    storeVersion: source.version,
    poolFactor: 1,
    origins: originsOf(ids, source.origins ?? new Map()),
    trainedRows: trained.trainedRows,
  };
}

/** Centroid → the documents with a row there (each once, ascending). */
export function invertedLists(codes: Uint32Array, docOffsets: Uint32Array, k: number) {
  const docs = docOffsets.length - 1;
  const last = new Int32Array(k).fill(-1);
  const counts = new Uint32Array(k);
  for (let d = 0; d < docs; d++)
    for (let r = docOffsets[d]!; r < docOffsets[d + 1]!; r++) {
      const c = codes[r]!;
      if (last[c] !== d) {
        last[c] = d;
        counts[c]!++;
      }
    }
  const ivfOffsets = new Uint32Array(k + 1);
  for (let c = 0; c < k; c++) ivfOffsets[c + 1] = ivfOffsets[c]! + counts[c]!;
  const ivfDocs = new Uint32Array(ivfOffsets[k]!);
  const fill = ivfOffsets.slice(0, k);
  last.fill(-1);
  for (let d = 0; d < docs; d++)
    for (let r = docOffsets[d]!; r < docOffsets[d + 1]!; r++) {
      const c = codes[r]!;
      if (last[c] !== d) {
        last[c] = d;
        ivfDocs[fill[c]!++] = d;
      }
    }
  return { ivfOffsets, ivfDocs };
}
