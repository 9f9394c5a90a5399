import { TesseraError } from '../errors.js';
import { residualBytes } from '../plaid/codec.js';
import { CODEC_FILES, CODEC_META, codecFiles, parseCodecFiles } from '../plaid/codec-files.js';
import { RowCompressor } from '../plaid/compress.js';
import { coreNearest, type NearestCentroids } from '../plaid/kmeans.js';
import { packRows } from '../plaid/packed-rows.js';
import { checkNbits, plaidSampleSize, type TrainedCodec, trainCodec } from '../plaid/train.js';
import type { Encoded } from './passage-plan.js';
import type { RowMatrix } from '../scoring/maxsim.js';
import type { Store } from './types.js';

export interface CodecOptions {
  /** Bits per residual value: 1, 2 (default) or 4. */
  nbits?: 1 | 2 | 4;
  /** Centroid count (default PLAID's, for the corpus's estimated token rows). */
  centroids?: number;
  /**
   * Documents the input holds, when known (or a function that estimates it when the sample is
   * full, from what has been read): sets the default sample and centroid count.
   */
  expectedDocuments?: number | (() => number | undefined);
  /**
   * Documents encoded before the codec is trained, from the start of the input (default PLAID's
   * sample of expectedDocuments, 16·√(120·n), else 4096); the sample also stops at 2^19 rows.
   */
  trainDocuments?: number;
  seed?: number;
}

/** Rows of a compressed-only index's training sample at most (the sample is held in memory as floats). */
const MAX_SAMPLE_ROWS = 1 << 19;

/** The artifact set a compressed-only store keeps its codec in (written before the first document). */
export const CODEC_SET = 'plaid-codec';

/** Each document's rows compressed against the codec, packed as StoreRecord.codes. */
export async function compressDocuments(
  docs: readonly { id: string; vectors: RowMatrix }[],
  trained: TrainedCodec,
  nearest: NearestCentroids = coreNearest,
): Promise<Uint8Array[]> {
  const compressor = new RowCompressor(trained.centroids, trained.k, trained.codec, nearest);
  for (const d of docs) await compressor.push(d.id, d.vectors);
  const { codes, residuals } = await compressor.finish();
  const rb = residualBytes(trained.dim, trained.codec.nbits);
  let at = 0;
  return docs.map((d) => {
    const n = d.vectors.rows;
    const packed = packRows(codes.subarray(at, at + n), residuals.subarray(at * rb, (at + n) * rb));
    at += n;
    return packed;
  });
}

/** The store's codec, or undefined where none was written yet. */
export async function readCodec(store: Store): Promise<TrainedCodec | undefined> {
  const artifacts = store.artifacts;
  const meta = await artifacts?.read(CODEC_SET, CODEC_META);
  if (!artifacts || !meta) return undefined;
  const files: Record<string, Uint8Array | undefined> = { [CODEC_META]: meta };
  for (const name of CODEC_FILES) files[name] = await artifacts.read(CODEC_SET, name);
  return parseCodecFiles(files, `${store.location}/${CODEC_SET}`);
}

/** A compressed-only store's codec; its absence is a CORRUPT_FILE error naming the set (its documents are codes against it). */
export async function requireCodec(store: Store): Promise<TrainedCodec> {
  const trained = await readCodec(store);
  if (!trained)
    throw new TesseraError(
      'CORRUPT_FILE',
      `${store.location}/${CODEC_SET}: missing, but the index is compressed-only (its documents are codes against it)`,
      { file: `${store.location}/${CODEC_SET}` },
    );
  return trained;
}

export async function writeCodec(store: Store, trained: TrainedCodec): Promise<void> {
  if (!store.artifacts)
    throw new TesseraError('INVALID_OPTION', `${store.location}: this store keeps no artifacts, so no codec`, {
      location: store.location,
    });
  await store.artifacts.write(CODEC_SET, codecFiles(trained));
}

export function checkKeepsCodes(store: Store): void {
  if (!store.keepsCodes || !store.artifacts || !store.fetch || !store.documents)
    throw new TesseraError(
      'INVALID_OPTION',
      `${store.location}: this store cannot hold a compressed-only index (it needs keepsCodes, artifacts, fetch() and documents())`,
      { field: 'vectors', location: store.location },
    );
}

/**
 * A compressed-only store's codec: the stored one, or a trainer for one on the first documents
 * encoded (add() them in input order until sampled(), then train()). The caller stores it
 * (writeCodec) before writing any document against it.
 */
export async function openCodec(store: Store, o: CodecOptions = {}) {
  checkKeepsCodes(store);
  let trained = await readCodec(store);
  const positive = (field: string, v: unknown) => {
    if (v !== undefined && (!Number.isInteger(v) || (v as number) < 1))
      throw new TesseraError('INVALID_OPTION', `${field} must be a positive integer (got ${JSON.stringify(v)})`, {
        field,
      });
  };
  positive('trainDocuments', o.trainDocuments);
  if (typeof o.expectedDocuments !== 'function') positive('expectedDocuments', o.expectedDocuments);
  const expected = () => (typeof o.expectedDocuments === 'function' ? o.expectedDocuments() : o.expectedDocuments);
  positive('centroids', o.centroids);
  if (o.nbits !== undefined) checkNbits(o.nbits);
  if (trained && o.nbits !== undefined && o.nbits !== trained.codec.nbits)
    throw new TesseraError(
      'INVALID_OPTION',
      `${store.location}: nbits ${o.nbits} asked, but its codec (trained when the index was made) has ${trained.codec.nbits}`,
      { field: 'nbits', location: store.location },
    );
  // A sample size read at each window, so an estimate of the input's size can firm up as it is read.
  const wanted = () => {
    const n = expected();
    return o.trainDocuments ?? (n && n > 0 ? plaidSampleSize(n) : 4096);
  };
  let sample: Encoded[] = [];
  let docs = 0;
  let rows = 0;
  return {
    get ready() {
      return !!trained;
    },
    /** Encoded documents for the sample, in input order. */
    add(encoded: Encoded[]) {
      sample.push(...encoded);
      docs += encoded.length;
      for (const e of encoded) rows += e.vectors.rows;
    },
    sampled: () => docs >= wanted() || rows >= MAX_SAMPLE_ROWS,
    async train(nearest: NearestCentroids | undefined): Promise<TrainedCodec> {
      const dim = sample[0]!.vectors.dim;
      const flat = new Float32Array(rows * dim);
      let at = 0;
      for (const e of sample) {
        flat.set(e.vectors.data.subarray(0, e.vectors.rows * dim), at);
        at += e.vectors.rows * dim;
      }
      sample = [];
      trained = await trainCodec(flat, rows, dim, docs, Math.max(docs, expected() ?? docs), {
        ...(o.nbits !== undefined ? { nbits: o.nbits } : {}),
        ...(o.centroids !== undefined ? { centroids: o.centroids } : {}),
        ...(o.seed !== undefined ? { seed: o.seed } : {}),
        ...(nearest ? { nearest } : {}),
      });
      return trained;
    },
    get trained() {
      return trained;
    },
  };
}
