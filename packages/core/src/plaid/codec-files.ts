import { TesseraError } from '../errors.js';
import { NBITS } from './codec.js';
import { crc32, headeredSet } from './index-files.js';
import type { TrainedCodec } from './train.js';

/** The files of a codec trained before any row was written (a compressed-only store's). */
export const CODEC_META = 'codec.json';
export const CODEC_FORMAT = 1;
const CODEC_FILES = ['centroids.f32', 'cutoffs.f32', 'weights.f32'] as const;

interface CodecMeta {
  format: number;
  dim: number;
  nbits: 1 | 2 | 4;
  k: number;
  trainedRows: number;
  files: Record<string, { bytes: number; crc32: number }>;
}

const bytesOf = (a: Float32Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/** The codec as named files (codec.json lists the others' sizes and checksums). */
export function codecFiles(t: TrainedCodec): Record<string, Uint8Array> {
  const files: Record<string, Uint8Array> = {
    'centroids.f32': bytesOf(t.centroids),
    'cutoffs.f32': bytesOf(t.codec.cutoffs),
    'weights.f32': bytesOf(t.codec.weights),
  };
  const meta: CodecMeta = {
    format: CODEC_FORMAT,
    dim: t.dim,
    nbits: t.codec.nbits,
    k: t.k,
    trainedRows: t.trainedRows,
    files: Object.fromEntries(Object.entries(files).map(([n, b]) => [n, { bytes: b.length, crc32: crc32(b) }])),
  };
  return { ...files, [CODEC_META]: new TextEncoder().encode(`${JSON.stringify(meta, null, 2)}\n`) };
}

/** Reads a codec back; a missing, cut or changed file is a CORRUPT_FILE error naming it. */
export function parseCodecFiles(files: Record<string, Uint8Array | undefined>, where: string): TrainedCodec {
  const fail = (file: string, why: string): never => {
    throw new TesseraError(
      'CORRUPT_FILE',
      `${where}/${file}: ${why}; the documents' codes were written against it, so the index cannot be read without it`,
      { file: `${where}/${file}` },
    );
  };
  const { meta, read: readListed } = headeredSet<CodecMeta>(files, CODEC_META, fail);
  if (meta.format !== CODEC_FORMAT)
    fail(CODEC_META, `format ${JSON.stringify(meta?.format)}, this Tessera reads format ${CODEC_FORMAT}`);
  const int = (v: unknown, min: number) => Number.isInteger(v) && (v as number) >= min;
  if (!int(meta.dim, 1) || !NBITS.includes(meta.nbits) || !int(meta.k, 1) || !int(meta.trainedRows, 0) || !meta.files)
    fail(CODEC_META, 'dim, nbits, k, trainedRows or files is missing or out of range');
  const buckets = 1 << meta.nbits;
  const expect: Record<string, number> = {
    'centroids.f32': meta.k * meta.dim * 4,
    'cutoffs.f32': meta.dim * (buckets - 1) * 4,
    'weights.f32': meta.dim * buckets * 4,
  };
  // Typed views need aligned, private buffers.
  const read = (name: (typeof CODEC_FILES)[number]) => new Float32Array(readListed(name, expect[name]).slice().buffer);
  const centroids = read('centroids.f32');
  return {
    dim: meta.dim,
    centroids,
    k: meta.k,
    codec: { dim: meta.dim, nbits: meta.nbits, cutoffs: read('cutoffs.f32'), weights: read('weights.f32') },
    trainedRows: meta.trainedRows,
  };
}

export { CODEC_FILES };
