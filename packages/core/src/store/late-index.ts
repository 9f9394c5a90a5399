import { TesseraError } from '../errors.js';
import { buildPlaidIndex, type PlaidBuildOptions } from '../plaid/build.js';
import { crc32, PLAID_FILES, PLAID_META, parsePlaidFiles, plaidFiles } from '../plaid/index-files.js';
import { type PlaidIndex, rowCount } from '../plaid/plaid-index.js';
import { storeError } from './index-documents.js';
import type { Store } from './types.js';

/** The artifact set the compressed index lives in. */
export const PLAID_SET = 'plaid';

export type LateIndexOptions = PlaidBuildOptions;

export interface LateIndexSummary {
  documents: number;
  rows: number;
  centroids: number;
  nbits: number;
  /** Bytes of the index files, and per token row. */
  bytes: number;
  bytesPerToken: number;
  seconds: number;
}

type CapableStore = Store & Required<Pick<Store, 'documents' | 'fetch' | 'version' | 'artifacts'>>;

function capable(store: Store): store is CapableStore {
  return !!store.documents && !!store.fetch && !!store.version && !!store.artifacts;
}

/** Refuses a store that cannot hold a compressed index, naming what it lacks. */
export function requireCapable(store: Store): CapableStore {
  if (!capable(store))
    throw new TesseraError(
      'INVALID_OPTION',
      `${store.location}: this store cannot hold a compressed index (it needs documents(), fetch(), version() and artifacts)`,
      { location: store.location },
    );
  return store;
}

/**
 * Builds the compressed late-interaction index (PLAID) from every document in the store and
 * saves it with the store, replacing an older one. The index remembers the store's version: a
 * write after the build makes it stale, and search then scans exactly until it is rebuilt.
 */
export async function buildLateIndex(store: Store, options: LateIndexOptions = {}): Promise<LateIndexSummary> {
  const s = requireCapable(store);
  const started = performance.now();
  let version: string;
  let count: number;
  try {
    version = await s.version();
    count = await s.count();
  } catch (e) {
    throw storeError(store, 'reading the documents', e);
  }
  const index = await buildPlaidIndex({ count, version, documents: () => s.documents() }, options);
  const files = plaidFiles(index);
  try {
    await s.artifacts.write(PLAID_SET, files);
  } catch (e) {
    throw storeError(store, 'writing the compressed index', e);
  }
  const rows = rowCount(index);
  const bytes = Object.values(files).reduce((n, f) => n + f.length, 0);
  return {
    documents: index.ids.length,
    rows,
    centroids: index.k,
    nbits: index.codec.nbits,
    bytes,
    bytesPerToken: Math.round((bytes / Math.max(1, rows)) * 10) / 10,
    seconds: (performance.now() - started) / 1000,
  };
}

// Loaded indexes by store, kept while plaid.json is unchanged (a rebuild elsewhere rewrites it).
const loaded = new WeakMap<Store, { metaCrc: number; index: PlaidIndex }>();

/**
 * The store's compressed index and whether it is fresh (built from the store as it is now), or
 * undefined when there is none. A damaged index is a CORRUPT_FILE error naming the file.
 */
export async function loadLateIndex(store: Store): Promise<{ index: PlaidIndex; fresh: boolean } | undefined> {
  if (!capable(store)) return undefined;
  const meta = await store.artifacts.read(PLAID_SET, PLAID_META);
  if (!meta) return undefined;
  const metaCrc = crc32(meta);
  let index = loaded.get(store)?.metaCrc === metaCrc ? loaded.get(store)!.index : undefined;
  if (!index) {
    const files: Record<string, Uint8Array | undefined> = { [PLAID_META]: meta };
    for (const name of PLAID_FILES) files[name] = await store.artifacts.read(PLAID_SET, name);
    index = parsePlaidFiles(files, `${store.location}/${PLAID_SET}`);
    loaded.set(store, { metaCrc, index });
  }
  return { index, fresh: index.storeVersion === (await store.version()) };
}
