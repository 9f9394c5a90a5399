import { TesseraError } from '../errors.js';
import { seeded } from '../random.js';
import { fitCodec, NBITS, type ResidualCodec } from './codec.js';
import { coreNearest, kmeans, type NearestCentroids, plaidCentroidCount } from './kmeans.js';

/** What compression needs before any row is encoded: the centroids and the residual buckets. */
export interface TrainedCodec {
  dim: number;
  /** Centroids [k, dim], unit rows. */
  centroids: Float32Array;
  k: number;
  codec: ResidualCodec;
  /** Token rows of the corpus the centroid count was chosen for (an estimate from the sample). */
  trainedRows: number;
}

export interface TrainOptions {
  /** Bits per residual value: 1, 2 (default) or 4. */
  nbits?: 1 | 2 | 4;
  /** Centroid count (default PLAID's 2^floor(log2(16·√rows)) for the corpus's estimated rows). */
  centroids?: number;
  /** k-means iterations (default 4, colbert-ai's). */
  iterations?: number;
  seed?: number;
  nearest?: NearestCentroids;
  onIteration?: (done: number, total: number) => void;
}

/** Rows kept per centroid for training (faiss keeps up to 256): the build time, against recall measured in bench/. */
const TRAIN_ROWS_PER_CENTROID = 32;

/** PLAID's sample of a corpus of `documents` documents: 16·√(120·documents), at most all of them. */
export function plaidSampleSize(documents: number): number {
  return Math.min(documents, Math.ceil(16 * Math.sqrt(120 * documents)));
}

export function checkNbits(nbits: unknown): asserts nbits is 1 | 2 | 4 {
  if (!NBITS.includes(nbits as 1 | 2 | 4))
    throw new TesseraError('INVALID_OPTION', `nbits must be 1, 2 or 4 (got ${JSON.stringify(nbits)})`, {
      field: 'nbits',
    });
}

/**
 * Centroids by k-means on a sample's rows (thinned to TRAIN_ROWS_PER_CENTROID a centroid), and
 * the residual buckets fitted on a held-out share of them (up to 50k rows, as colbert-ai).
 * `sample` holds the sampled documents' rows one after another; `corpusDocuments` is the size of
 * the corpus they stand for, which sets the default centroid count.
 */
export async function trainCodec(
  sample: Float32Array,
  sampleRows: number,
  dim: number,
  sampleDocuments: number,
  corpusDocuments: number,
  options: TrainOptions = {},
  random: () => number = seeded(options.seed ?? 12345),
): Promise<TrainedCodec> {
  const nbits = options.nbits ?? 2;
  checkNbits(nbits);
  if (sampleRows === 0)
    throw new TesseraError('INVALID_INPUT', 'the sampled documents have no rows: nothing to index', {});
  const estimatedRows = Math.round((sampleRows * corpusDocuments) / Math.max(1, sampleDocuments));
  const k = Math.max(1, Math.min(options.centroids ?? plaidCentroidCount(estimatedRows), sampleRows));
  if (!Number.isInteger(k) || k < 1)
    throw new TesseraError('INVALID_OPTION', `centroids must be a positive integer (got ${options.centroids})`, {
      field: 'centroids',
    });
  const nearest = options.nearest ?? coreNearest;
  const order = Int32Array.from({ length: sampleRows }, (_, i) => i);
  for (let i = sampleRows - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const heldout = Math.min(50_000, Math.max(1, Math.floor(sampleRows * 0.05)));
  const trainCount = Math.min(sampleRows, Math.max(k, Math.min(sampleRows - heldout, k * TRAIN_ROWS_PER_CENTROID)));
  const pick = (from: number, count: number) => {
    const out = new Float32Array(count * dim);
    for (let i = 0; i < count; i++)
      out.set(sample.subarray(order[from + i]! * dim, (order[from + i]! + 1) * dim), i * dim);
    return out;
  };
  const centroids = await kmeans(pick(0, trainCount), trainCount, dim, k, {
    nearest,
    iterations: options.iterations ?? 4,
    seed: options.seed,
    ...(options.onIteration ? { onIteration: options.onIteration } : {}),
  });
  const held = pick(sampleRows - heldout, heldout);
  const heldCodes = await nearest(held, heldout, centroids, k, dim);
  for (let i = 0; i < heldout; i++)
    for (let d = 0; d < dim; d++) held[i * dim + d]! -= centroids[heldCodes[i]! * dim + d]!;
  return { dim, centroids, k, codec: fitCodec(held, heldout, dim, nbits), trainedRows: estimatedRows };
}
