import { TesseraError } from '../errors.js';
import type { RowMatrix } from '../scoring/maxsim.js';
import { encodeResidual, fitCodec, NBITS, residualBytes } from './codec.js';
import { seeded } from '../random.js';
import { coreNearest, kmeans, type NearestCentroids, plaidCentroidCount } from './kmeans.js';
import type { PlaidIndex } from './plaid-index.js';

export type { NearestCentroids };

export interface PlaidBuildOptions {
  /** Bits per residual value: 1, 2 (default) or 4. */
  nbits?: 1 | 2 | 4;
  /** Centroid count (default PLAID's 2^floor(log2(16·√rows))). */
  centroids?: number;
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
}

/** Rows kept per centroid for training (faiss keeps up to 256): the build time, against recall measured in bench/. */
const TRAIN_ROWS_PER_CENTROID = 32;
/** Rows encoded per call to `nearest`. */
const ASSIGN_BLOCK = 1 << 15;

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
      dim = doc.vectors.dim;
      sample.push(doc.vectors.data.slice(0, doc.vectors.rows * dim));
      sampleRows += doc.vectors.rows;
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
  const rb = residualBytes(dim, nbits);
  const ids: string[] = [];
  const lengths: number[] = [];
  const codeChunks: Uint32Array[] = [];
  const residualChunks: Uint8Array[] = [];
  let block = new Float32Array(ASSIGN_BLOCK * dim);
  let blockRows = 0;
  const flush = async () => {
    if (blockRows === 0) return;
    const rows = block.subarray(0, blockRows * dim);
    const codes = await nearest(rows, blockRows, centroids, k, dim);
    const packed = new Uint8Array(blockRows * rb);
    const residual = new Float32Array(dim);
    for (let i = 0; i < blockRows; i++) {
      const c = codes[i]! * dim;
      for (let d = 0; d < dim; d++) residual[d] = rows[i * dim + d]! - centroids[c + d]!;
      encodeResidual(codec, residual, packed, i * rb);
    }
    codeChunks.push(Uint32Array.from(codes));
    residualChunks.push(packed);
    blockRows = 0;
  };
  for await (const doc of source.documents()) {
    const v = doc.vectors;
    if (v.dim !== dim)
      throw new TesseraError(
        'DIMENSION_MISMATCH',
        `document ${JSON.stringify(doc.id)} has rows of ${v.dim}, the index ${dim}`,
        {
          id: doc.id,
        },
      );
    ids.push(doc.id);
    lengths.push(v.rows);
    for (let r = 0; r < v.rows; r++) {
      if (blockRows * dim >= block.length) await flush();
      block.set(v.data.subarray(r * dim, (r + 1) * dim), blockRows * dim);
      blockRows++;
    }
    if (ids.length % 1000 === 0) options.onProgress?.({ stage: 'encoding', done: ids.length, total: source.count });
  }
  await flush();
  block = new Float32Array(0);
  options.onProgress?.({ stage: 'encoding', done: ids.length, total: ids.length });

  const docOffsets = new Uint32Array(ids.length + 1);
  for (let d = 0; d < ids.length; d++) docOffsets[d + 1] = docOffsets[d]! + lengths[d]!;
  const codes = concat(codeChunks, Uint32Array, docOffsets[ids.length]!);
  const residuals = concat(residualChunks, Uint8Array, docOffsets[ids.length]! * rb);
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
    poolFactor: 1,
  };
}

function concat<T extends Uint32Array | Uint8Array>(chunks: T[], Kind: { new (n: number): T }, length: number): T {
  const out = new Kind(length);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
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
