import { TesseraError } from '../errors.js';
import { NBITS, residualBytes } from './codec.js';
import { type PlaidIndex, rowCount, UNKNOWN_SOURCE } from './plaid-index.js';

/** The format of the files below; a folder written by another version is refused (rebuild it). */
export const PLAID_FORMAT = 2;
export const PLAID_META = 'plaid.json';
/** Every file of the index besides plaid.json (docs/index-format.md describes each). */
export const PLAID_FILES = [
  'centroids.f32',
  'cutoffs.f32',
  'weights.f32',
  'doc-offsets.u32',
  'codes.u32',
  'residuals.u8',
  'ivf-offsets.u32',
  'ivf-docs.u32',
  'ids.json',
  'doc-origins.u32',
] as const;

// CRC-32 (IEEE), table-driven: a few lines here rather than a dependency, and the same in a
// browser as in Node (node:zlib's crc32 is Node-only).
const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

interface PlaidMeta {
  format: number;
  dim: number;
  nbits: 1 | 2 | 4;
  k: number;
  docs: number;
  rows: number;
  storeVersion: string;
  poolFactor: number;
  trainedRows: number;
  /** The documents' sources, which doc-origins.u32 refers to by number. */
  sources: string[];
  files: Record<string, { bytes: number; crc32: number }>;
}

const bytesOf = (a: Float32Array | Uint32Array | Uint8Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
const text = new TextEncoder();

/** The index as named files (plaid.json last: it lists every other file's size and checksum). */
export function plaidFiles(index: PlaidIndex): Record<string, Uint8Array> {
  const files: Record<string, Uint8Array> = {
    'centroids.f32': bytesOf(index.centroids),
    'cutoffs.f32': bytesOf(index.codec.cutoffs),
    'weights.f32': bytesOf(index.codec.weights),
    'doc-offsets.u32': bytesOf(index.docOffsets),
    'codes.u32': bytesOf(index.codes),
    'residuals.u8': index.residuals,
    'ivf-offsets.u32': bytesOf(index.ivfOffsets),
    'ivf-docs.u32': bytesOf(index.ivfDocs),
    'ids.json': text.encode(JSON.stringify(index.ids)),
    'doc-origins.u32': bytesOf(index.origins.refs),
  };
  const meta: PlaidMeta = {
    format: PLAID_FORMAT,
    dim: index.dim,
    nbits: index.codec.nbits,
    k: index.k,
    docs: index.ids.length,
    rows: rowCount(index),
    storeVersion: index.storeVersion,
    poolFactor: index.poolFactor,
    trainedRows: index.trainedRows,
    sources: index.origins.sources,
    files: Object.fromEntries(Object.entries(files).map(([n, b]) => [n, { bytes: b.length, crc32: crc32(b) }])),
  };
  return { ...files, [PLAID_META]: text.encode(`${JSON.stringify(meta, null, 2)}\n`) };
}

/** Bytes of the whole set as its header lists them (the header included), without reading the files. */
export function plaidBytes(meta: Uint8Array): number {
  const listed = (JSON.parse(new TextDecoder().decode(meta)) as PlaidMeta).files;
  return Object.values(listed).reduce((n, f) => n + f.bytes, meta.length);
}

type Fail = (file: string, why: string) => never;

/**
 * A set of files under a JSON header that lists each file's size and CRC-32: the parsed header,
 * and a reader that checks a file against it (and against the size the caller's shape needs).
 */
export function headeredSet<M extends { files: Record<string, { bytes: number; crc32: number }> }>(
  files: Record<string, Uint8Array | undefined>,
  metaName: string,
  fail: Fail,
): { meta: M; read: (name: string, needed?: number) => Uint8Array } {
  const metaBytes = files[metaName] ?? fail(metaName, 'missing');
  let meta: M;
  try {
    meta = JSON.parse(new TextDecoder().decode(metaBytes)) as M;
  } catch {
    return fail(metaName, 'not valid JSON');
  }
  if (!meta || typeof meta !== 'object') fail(metaName, 'not a JSON object');
  const read = (name: string, needed?: number): Uint8Array => {
    const b = files[name] ?? fail(name, 'missing');
    const listed = meta.files?.[name] ?? fail(metaName, `does not list ${name}`);
    if (b.length !== listed.bytes) fail(name, `${b.length} bytes, ${metaName} says ${listed.bytes} (cut or replaced)`);
    if (needed !== undefined && b.length !== needed)
      fail(name, `${b.length} bytes, the shape in ${metaName} needs ${needed}`);
    if (crc32(b) !== listed.crc32) fail(name, 'its checksum does not match (the file was changed)');
    return b;
  };
  return { meta, read };
}

/**
 * Reads the files back, checking each one's size and checksum and the arrays' structure, so a
 * cut or changed file is named in an error rather than read as a wrong answer. `where` names the
 * folder in messages.
 */
export function parsePlaidFiles(files: Record<string, Uint8Array | undefined>, where: string): PlaidIndex {
  const fail = (file: string, why: string): never => {
    throw new TesseraError('CORRUPT_FILE', `${where}/${file}: ${why}; rebuild the index (tessera index --rebuild)`, {
      file: `${where}/${file}`,
    });
  };
  const { meta, read: readListed } = headeredSet<PlaidMeta>(files, PLAID_META, fail);
  if (meta.format !== PLAID_FORMAT)
    throw new TesseraError(
      'INDEX_MISMATCH',
      `${where}: the compressed index is format ${JSON.stringify(meta.format)}, this Tessera reads format ${PLAID_FORMAT}; ` +
        'rebuild it (tessera index --rebuild)',
      { file: `${where}/${PLAID_META}` },
    );
  const int = (v: unknown, min: number) => Number.isInteger(v) && (v as number) >= min;
  if (!int(meta.dim, 1) || !NBITS.includes(meta.nbits) || !int(meta.k, 1) || !int(meta.docs, 0) || !int(meta.rows, 0))
    fail(PLAID_META, 'dim, nbits, k, docs or rows is missing or out of range');
  if (typeof meta.storeVersion !== 'string' || !meta.files || typeof meta.files !== 'object')
    fail(PLAID_META, 'storeVersion or files is missing');
  if (!int(meta.poolFactor, 1)) fail(PLAID_META, 'poolFactor is missing or not a positive integer');
  if (!int(meta.trainedRows, 0) || !Array.isArray(meta.sources) || meta.sources.some((x) => typeof x !== 'string'))
    fail(PLAID_META, 'trainedRows or sources is missing or out of range');
  const buckets = 1 << meta.nbits;
  const expect: Record<string, number> = {
    'centroids.f32': meta.k * meta.dim * 4,
    'cutoffs.f32': meta.dim * (buckets - 1) * 4,
    'weights.f32': meta.dim * buckets * 4,
    'doc-offsets.u32': (meta.docs + 1) * 4,
    'codes.u32': meta.rows * 4,
    'residuals.u8': meta.rows * residualBytes(meta.dim, meta.nbits),
    'ivf-offsets.u32': (meta.k + 1) * 4,
    'doc-origins.u32': meta.docs * 8,
  };
  const read = (name: string) => readListed(name, expect[name]);
  // Typed views need aligned, private buffers.
  const f32 = (name: string) => new Float32Array(read(name).slice().buffer);
  const u32 = (name: string) => new Uint32Array(read(name).slice().buffer);
  const centroids = f32('centroids.f32');
  const cutoffs = f32('cutoffs.f32');
  const weights = f32('weights.f32');
  const docOffsets = u32('doc-offsets.u32');
  const codes = u32('codes.u32');
  const residuals = read('residuals.u8');
  const ivfOffsets = u32('ivf-offsets.u32');
  const ivfDocs = u32('ivf-docs.u32');
  const refs = u32('doc-origins.u32');
  let ids: unknown;
  try {
    ids = JSON.parse(new TextDecoder().decode(read('ids.json')));
  } catch (e) {
    if (e instanceof TesseraError) throw e;
    fail('ids.json', 'not valid JSON');
  }
  if (!Array.isArray(ids) || ids.length !== meta.docs || ids.some((i) => typeof i !== 'string'))
    fail('ids.json', `not ${meta.docs} string ids`);
  // Structure: offsets ascending and in range, codes and listed documents in range.
  if (docOffsets[0] !== 0 || docOffsets[meta.docs] !== meta.rows) fail('doc-offsets.u32', 'does not span the rows');
  for (let d = 0; d < meta.docs; d++)
    if (docOffsets[d + 1]! < docOffsets[d]!) fail('doc-offsets.u32', `offsets go down at document ${d}`);
  for (let r = 0; r < meta.rows; r++)
    if (codes[r]! >= meta.k) fail('codes.u32', `row ${r} names centroid ${codes[r]} of ${meta.k}`);
  if (ivfOffsets[0] !== 0 || ivfOffsets[meta.k] !== ivfDocs.length)
    fail('ivf-offsets.u32', 'does not span ivf-docs.u32');
  for (let c = 0; c < meta.k; c++)
    if (ivfOffsets[c + 1]! < ivfOffsets[c]!) fail('ivf-offsets.u32', `offsets go down at centroid ${c}`);
  for (let i = 0; i < ivfDocs.length; i++)
    if (ivfDocs[i]! >= meta.docs) fail('ivf-docs.u32', `entry ${i} names document ${ivfDocs[i]}`);
  for (let d = 0; d < meta.docs; d++)
    if (refs[2 * d]! >= meta.sources.length && refs[2 * d] !== UNKNOWN_SOURCE)
      fail('doc-origins.u32', `document ${d} names source ${refs[2 * d]} of ${meta.sources.length}`);
  return {
    dim: meta.dim,
    centroids,
    k: meta.k,
    codec: { dim: meta.dim, nbits: meta.nbits, cutoffs, weights },
    ids: ids as string[],
    docOffsets,
    codes,
    residuals,
    ivfOffsets,
    ivfDocs,
    storeVersion: meta.storeVersion,
    poolFactor: meta.poolFactor,
    origins: { sources: meta.sources, refs },
    trainedRows: meta.trainedRows,
  };
}
