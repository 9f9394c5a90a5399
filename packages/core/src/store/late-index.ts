import { isTesseraError, TesseraError } from '../errors.js';
import { assemblePlaidIndex, buildPlaidIndex, type PlaidBuildOptions } from '../plaid/build.js';
import { crc32, PLAID_FILES, PLAID_META, parsePlaidFiles, plaidBytes, plaidFiles } from '../plaid/index-files.js';
import { type Origin, type PlaidIndex, rowCount } from '../plaid/plaid-index.js';
import { updatePlaidIndex } from '../plaid/update.js';
import type { TrainedCodec } from '../plaid/train.js';
import { requireCodec } from './compressed-rows.js';
import { storeError } from './index-documents.js';
import type { Store } from './types.js';

/** The artifact set the compressed index lives in. */
export const PLAID_SET = 'plaid';

export type LateIndexOptions = PlaidBuildOptions;

export interface LateIndexSummary {
  /** "built": centroids trained on the whole store; "updated": changes encoded against the existing ones; "unchanged": it was fresh. */
  mode: 'built' | 'updated' | 'unchanged';
  /** Documents encoded by this run (all of them when built). */
  added: number;
  /** Documents dropped from the index (removed from the store, or replaced by a newer version). */
  removed: number;
  /** Set when a rebuild would pay: the corpus has grown well past what the centroids were trained on. */
  advice?: string;
  /** Why an update was not possible and the index was built instead. */
  rebuiltBecause?: string;
  documents: number;
  rows: number;
  centroids: number;
  nbits: number;
  /** Token pooling of the index's rows (1: none); `rows` counts pooled rows. */
  poolFactor: number;
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
 * saves it with the store, replacing an older one (whose nbits and pool factor it keeps unless
 * `options` set them). The index remembers the store's version: a
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
  const origins = await readOrigins(s);
  if ((await readManifestOf(s))?.vectors === false) {
    const index = await assemblePlaidIndex(await compressedCodec(s, options), {
      version,
      documents: () => s.documents(),
      origins,
    });
    return save(s, index, started, { mode: 'built', added: index.ids.length, removed: 0 }, true);
  }
  // A rebuild keeps the index's nbits and pooling unless asked otherwise (the centroid count follows the corpus).
  const previous = await loadLateIndex(s).catch(() => undefined);
  const settings = {
    ...(previous ? { nbits: previous.index.codec.nbits, poolFactor: previous.index.poolFactor } : {}),
    ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)),
  };
  const index = await buildPlaidIndex({ count, version, documents: () => s.documents(), origins }, settings);
  return save(s, index, started, { mode: 'built', added: index.ids.length, removed: 0 });
}

/**
 * Brings the store's compressed index up to date without retraining (see updatePlaidIndex):
 * new and replaced documents are encoded against the existing centroids, removed ones dropped.
 * Builds instead where there is no index, it cannot be read, or `nbits`/`centroids` ask for
 * another shape. The summary advises a rebuild once the corpus has doubled since training.
 */
export async function updateLateIndex(store: Store, options: LateIndexOptions = {}): Promise<LateIndexSummary> {
  const s = requireCapable(store);
  const started = performance.now();
  let existing: Awaited<ReturnType<typeof loadLateIndex>>;
  let why: string | undefined;
  try {
    existing = await loadLateIndex(s);
  } catch (e) {
    if (!isTesseraError(e) || (e.code !== 'CORRUPT_FILE' && e.code !== 'INDEX_MISMATCH')) throw e;
    why = e.message;
  }
  const old = existing?.index;
  if (old && options.nbits !== undefined && options.nbits !== old.codec.nbits)
    why = `nbits ${options.nbits} asked, the index has ${old.codec.nbits}`;
  else if (old && options.centroids !== undefined && options.centroids !== old.k)
    why = `${options.centroids} centroids asked, the index has ${old.k}`;
  else if (old && options.poolFactor !== undefined && options.poolFactor !== old.poolFactor)
    why = `pool factor ${options.poolFactor} asked, the index has ${old.poolFactor}`;
  if (!old || why) {
    const built = await buildLateIndex(s, options);
    return { ...built, ...(why ? { rebuiltBecause: why } : {}) };
  }
  if (existing!.fresh) {
    // The header lists every file's size: no need to serialize the index again to report it.
    const bytes = plaidBytes((await s.artifacts.read(PLAID_SET, PLAID_META))!);
    return summarize(old, bytes, started, { mode: 'unchanged', added: 0, removed: 0 }, await compressedOnly(s));
  }
  let version: string;
  try {
    version = await s.version();
  } catch (e) {
    throw storeError(store, 'reading the documents', e);
  }
  const entries = await readOrigins(s);
  const update = await updatePlaidIndex(
    old,
    {
      entries,
      version,
      fetch: async (ids) => {
        try {
          return await s.fetch(ids);
        } catch (e) {
          throw storeError(store, 'reading the documents', e);
        }
      },
    },
    options,
  );
  return save(
    s,
    update.index,
    started,
    { mode: 'updated', added: update.added, removed: update.removed },
    await compressedOnly(s),
  );
}

const compressedOnly = async (store: Store) => (await readManifestOf(store))?.vectors === false;

async function readManifestOf(store: Store) {
  try {
    return await store.readManifest();
  } catch (e) {
    throw storeError(store, 'reading the index', e);
  }
}

/**
 * A compressed-only store's codec, refusing options it cannot honour: its documents were written
 * as codes against it, and there are no float rows to train or pool again.
 */
async function compressedCodec(store: CapableStore, options: LateIndexOptions): Promise<TrainedCodec> {
  const trained = await requireCodec(store);
  const refuse = (what: string) => {
    throw new TesseraError(
      'INVALID_OPTION',
      `${store.location} is compressed-only (--no-vectors): ${what}; re-index the texts into a new folder for another shape`,
      { location: store.location },
    );
  };
  if (options.poolFactor !== undefined && options.poolFactor !== 1)
    refuse('it keeps no float rows to pool, so its pool factor stays 1');
  if (options.nbits !== undefined && options.nbits !== trained.codec.nbits)
    refuse(`its codes have nbits ${trained.codec.nbits} (${options.nbits} asked)`);
  if (options.centroids !== undefined && options.centroids !== trained.k)
    refuse(`its codes name ${trained.k} centroids (${options.centroids} asked)`);
  return trained;
}

/** Every stored document's source and position, by id. */
async function readOrigins(store: Store): Promise<Map<string, Origin>> {
  const out = new Map<string, Origin>();
  try {
    for await (const e of store.entries()) out.set(e.id, { source: e.source, seq: e.seq });
  } catch (e) {
    throw storeError(store, 'reading the documents', e);
  }
  return out;
}

type Change = Pick<LateIndexSummary, 'mode' | 'added' | 'removed'>;

async function save(
  store: CapableStore,
  index: PlaidIndex,
  started: number,
  change: Change,
  compressed = false,
): Promise<LateIndexSummary> {
  const files = plaidFiles(index);
  try {
    await store.artifacts.write(PLAID_SET, files);
  } catch (e) {
    throw storeError(store, 'writing the compressed index', e);
  }
  loaded.set(store, { metaCrc: crc32(files[PLAID_META]!), index });
  return summarize(
    index,
    Object.values(files).reduce((n, f) => n + f.length, 0),
    started,
    change,
    compressed,
  );
}

function summarize(
  index: PlaidIndex,
  bytes: number,
  started: number,
  change: Change,
  compressed: boolean,
): LateIndexSummary {
  const rows = rowCount(index);
  const grown = rows >= 2 * index.trainedRows && index.trainedRows > 0;
  return {
    ...change,
    ...(grown
      ? {
          advice:
            `the index has grown from ${index.trainedRows} to ${rows} token rows since its centroids were trained: ` +
            (compressed
              ? 'it keeps no float rows to train on again: re-index the texts into a new folder ' +
                '(a larger --train-documents) for the recall and speed of a codec trained on this corpus'
              : 'rebuild it (tessera index --rebuild, or t.buildSearchIndex) for the recall and speed of a fresh build'),
        }
      : {}),
    documents: index.ids.length,
    rows,
    centroids: index.k,
    nbits: index.codec.nbits,
    poolFactor: index.poolFactor,
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
