import { TesseraError } from '../errors.js';
import type { RowMatrix } from '../scoring/maxsim.js';
import { fitCodec, NBITS } from './codec.js';
import { RowCompressor } from './compress.js';
import { poolRows } from './pooling.js';
import { seeded } from '../random.js';
import { coreNearest, kmeans, type NearestCentroids, plaidCentroidCount } from './kmeans.js';
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
  documents: () => AsyncIterable<{ id: string; vectors: RowMatrix }>;
  /** What the index records, so that a later change to the store shows. */
  version: string;
  /** Each document's source and position in the store, by id (updates compare them). */
  origins?: ReadonlyMap<string, Origin>;
}

/** Rows kept per centroid for training (faiss keeps up to 256): the build time, against recall measured in bench/. */
const TRAIN_ROWS_PER_CENTROID = 32;

/**
 * Builds a compressed index from a store's documents in two passes: a sample of documents
 * (PLAID's size, 16·√(120·documents)) trains the centroids and the residual buckets, then every
 * row is assigned to its nearest centroid and its residual packed.
 */
export async function buildPlaidIndex(source: PlaidSource, options: PlaidBuildOptions = {}): Promise<PlaidIndex> {
  const nbits = options.nbits ?? 2;
  if (!NBITS.includes(nbits))
    throw new TesseraError('INVALID_OPTION', `nbits must be 1, 2 or 4 (got ${JSON.stringify(nbits)})`, {
      field: 'nbits',
    });
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
  const wanted = Math.min(source.count, Math.ceil(16 * Math.sqrt(120 * source.count)));
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
  const estimatedRows = Math.round((sampleRows * source.count) / sample.length);
  const k = Math.max(1, Math.min(options.centroids ?? plaidCentroidCount(estimatedRows), sampleRows));
  if (!Number.isInteger(k) || k < 1)
    throw new TesseraError('INVALID_OPTION', `centroids must be a positive integer (got ${options.centroids})`, {
      field: 'centroids',
    });

  // Training rows: the sample's rows, thinned to TRAIN_ROWS_PER_CENTROID a centroid; a held-out
  // share (up to 50k rows, as colbert-ai) fits the residual buckets.
  const all = new Float32Array(sampleRows * dim);
  let at = 0;
  for (const s of sample) {
    all.set(s, at);
    at += s.length;
  }
  const order = Int32Array.from({ length: sampleRows }, (_, i) => i);
  for (let i = sampleRows - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const heldout = Math.min(50_000, Math.max(1, Math.floor(sampleRows * 0.05)));
  const trainCount = Math.max(k, Math.min(sampleRows - heldout, k * TRAIN_ROWS_PER_CENTROID));
  const pick = (from: number, count: number) => {
    const out = new Float32Array(count * dim);
    for (let i = 0; i < count; i++)
      out.set(all.subarray(order[from + i]! * dim, (order[from + i]! + 1) * dim), i * dim);
    return out;
  };
  const train = pick(0, Math.min(trainCount, sampleRows));
  const centroids = await kmeans(train, Math.min(trainCount, sampleRows), dim, k, {
    nearest,
    iterations: options.iterations ?? 4,
    seed: options.seed,
    onIteration: (done, total) => options.onProgress?.({ stage: 'centroids', done, total }),
  });
  const held = pick(sampleRows - heldout, heldout);
  const heldCodes = await nearest(held, heldout, centroids, k, dim);
  for (let i = 0; i < heldout; i++)
    for (let d = 0; d < dim; d++) held[i * dim + d]! -= centroids[heldCodes[i]! * dim + d]!;
  const codec = fitCodec(held, heldout, dim, nbits);

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
