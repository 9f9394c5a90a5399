import { TesseraError } from '../errors.js';
import { defaultKnobs, type PlaidKnobs, searchPlaidThreads } from '../plaid/search.js';
import { maxSim, type RowMatrix } from '../scoring/maxsim.js';
import { type PassageSpan, passageRows } from '../scoring/passages.js';
import type { Tessera } from '../tessera.js';
import { decodeRows } from '../plaid/packed-rows.js';
import { storeError } from './index-documents.js';
import { loadLateIndex, updateLateIndex } from './late-index.js';
import type { PlaidIndex } from '../plaid/plaid-index.js';
import { checkManifest, manifestFor } from './manifest.js';
import type { Store, StoreHit } from './types.js';

export interface SearchOptions {
  /** Results to return (default 10). */
  topK?: number;
  /** Scan every document (the ground truth) even when a compressed index exists. */
  exact?: boolean;
  /** The compressed index's knobs (default colbert-ai's for the topK asked). */
  knobs?: Partial<PlaidKnobs>;
  /**
   * Only documents this filter selects, in the store's filter language (LanceDB: SQL, e.g.
   * `json_get_string(metadata, 'lang') = 'en'`), applied before scoring. Needs a store with
   * idsWhere(); one the store refuses rejects with INVALID_FILTER.
   */
  where?: string;
  /** Threads the compressed index's stages may run on (default: the cores; 1 keeps them on the calling thread). */
  threads?: number;
}

/** A search with how it was answered. */
export interface SearchReport {
  results: SearchResult[];
  /** "index": the compressed index chose the candidates; "exact": every document was scored. */
  path: 'index' | 'exact';
  /** Milliseconds from encoding the query to the ranked results (model loading not included). */
  tookMs: number;
  /** Why the exact path answered when not asked to (no index, or one older than the store), and a query cut at the query length. */
  note?: string;
  /**
   * "decompressed": a compressed-only index (no float rows) answered, and scores are MaxSim over
   * the documents' rows as decoded from their codes, not over the rows the model gave.
   */
  scores?: 'decompressed';
}

export interface SearchResult {
  id: string;
  /** MaxSim of the query against the document (its best passage, when it was split), as score() computes it. */
  score: number;
  text?: string;
  metadata?: Record<string, unknown>;
  /** For a document split into passages: the one that matched best (its number, of how many, and its span of text). */
  passage?: { index: number; of: number; start: number; end: number };
}

/**
 * Encodes the query and finds the best documents: through the store's compressed index when it
 * has a fresh one (candidates by PLAID's stages, then the winners' stored rows rescored), else by
 * the store's own search. Hits that come with their rows are rescored with core's MaxSim, so
 * scores equal `t.score(query, document)` whatever path or store arithmetic found them.
 */
export async function searchIndex(
  t: Tessera,
  store: Store,
  query: string,
  options: SearchOptions = {},
): Promise<SearchReport> {
  const topK = options.topK ?? 10;
  if (!Number.isInteger(topK) || topK < 1)
    throw new TesseraError('INVALID_OPTION', `topK must be a positive integer (got ${topK})`, { field: 'topK' });
  if (typeof query !== 'string')
    throw new TesseraError(
      'INVALID_INPUT',
      `the query must be a string (got ${query === null ? 'null' : typeof query})`,
      {},
    );
  let manifest;
  try {
    manifest = await store.readManifest();
  } catch (e) {
    throw storeError(store, 'reading the index', e);
  }
  if (!manifest)
    throw new TesseraError(
      'NOT_AN_INDEX',
      `${store.location} is not a Tessera index (no manifest); build one with \`tessera index\` or t.index()`,
      { location: store.location },
    );
  checkManifest(store, manifest, await manifestFor(t));
  const started = performance.now();
  const [q] = await t.encodeQueries([query]);
  const report = await searchStore(store, q!, { ...options, topK });
  // ColBERT reads queries up to its query length; say so rather than search a cut query silently.
  const cut = q!.truncated
    ? `the query is longer than the model's query length: only its first ${q!.tokens} tokens were searched`
    : undefined;
  const note = [report.note, cut].filter(Boolean).join('; ');
  return { ...report, tookMs: performance.now() - started, ...(note ? { note } : {}) };
}

/**
 * The search itself, for query rows already encoded: through the store's compressed index when
 * it has a fresh one, else the store's own search; hits with rows rescored by core's MaxSim.
 */
export async function searchStore(store: Store, q: RowMatrix, options: SearchOptions = {}): Promise<SearchReport> {
  const topK = options.topK ?? 10;
  const threads = options.threads;
  if (threads !== undefined && (!Number.isInteger(threads) || threads < 1))
    throw new TesseraError('INVALID_OPTION', `threads must be a positive integer (got ${threads})`, {
      field: 'threads',
    });
  const started = performance.now();
  let path: SearchReport['path'] = 'exact';
  let note: string | undefined;
  let hits: StoreHit[];
  let decompressed = false;
  const where = options.where;
  if (where !== undefined && !store.idsWhere)
    throw new TesseraError(
      'INVALID_OPTION',
      `${store.location} cannot filter (its store has no idsWhere): search it without \`where\`, or use a store that filters (@tessera/store-lancedb)`,
      { field: 'where', location: store.location },
    );
  try {
    let late = options.exact ? undefined : await loadLateIndex(store);
    const compressedOnly = !late?.fresh && (await store.readManifest())?.vectors === false;
    if (compressedOnly) {
      if (options.exact)
        throw new TesseraError(
          'INVALID_OPTION',
          `${store.location} is compressed-only (made with --no-vectors) and keeps no float rows: an exact search needs them`,
          { location: store.location, field: 'exact' },
        );
      // No float rows to scan: the index is brought up to date from the stored codes (no encoding,
      // as the next \`tessera index\` run would), so a run killed before it did so still searches everything.
      if ((await store.count()) === 0) return { results: [], path: 'index', tookMs: performance.now() - started };
      const s = await updateLateIndex(store);
      late = { ...(await loadLateIndex(store))!, fresh: true };
      if (s.mode !== 'unchanged')
        note = `the compressed index was brought up to date from the stored codes first (${s.added} documents added, ${s.removed} dropped)`;
    }
    if (late?.fresh) {
      path = 'index';
      const subset = where !== undefined ? subsetOf(late.index, await store.idsWhere!(where)) : undefined;
      hits = await indexCandidates(store, late.index, q, topK, options.knobs, subset, threads);
      decompressed = hits.some((h) => h.codes);
    } else {
      if (!options.exact)
        note = late
          ? 'the compressed index is older than the documents (written since it was built): rebuild it to search through it'
          : 'no compressed index: every document was scored';
      hits = await store.search(q, { limit: topK, ...(where !== undefined ? { where } : {}) });
    }
  } catch (e) {
    throw storeError(store, 'searching', e);
  }
  if (decompressed)
    note = [note, 'scores are MaxSim over rows decoded from the compressed-only index'].filter(Boolean).join('; ');
  const results = hits.map((h): SearchResult => {
    const best = h.vectors ? bestPassage(q, h.vectors, h.passages) : undefined;
    const span = best && h.passages && h.passages.length > 1 ? h.passages[best.index] : undefined;
    return {
      id: h.id,
      score: best ? best.score : h.score,
      ...(h.text !== undefined ? { text: h.text } : {}),
      ...(h.metadata ? { metadata: h.metadata } : {}),
      ...(span ? { passage: { index: best!.index, of: h.passages!.length, start: span.start, end: span.end } } : {}),
    };
  });
  results.sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return {
    results: results.slice(0, topK),
    path,
    tookMs: performance.now() - started,
    ...(note ? { note } : {}),
    ...(decompressed ? { scores: 'decompressed' as const } : {}),
  };
}

/** The compressed index's best documents, fetched from the store with their rows. */
async function indexCandidates(
  store: Store,
  index: PlaidIndex,
  q: RowMatrix,
  topK: number,
  knobs: Partial<PlaidKnobs> | undefined,
  subset: Uint8Array | undefined,
  threads: number | undefined,
): Promise<StoreHit[]> {
  const knobsFor = { ...defaultKnobs(topK, index.poolFactor), ...knobs };
  const hits = await searchPlaidThreads(index, q, topK, knobsFor, subset, threads);
  if (!hits.length) return [];
  const fetched = await store.fetch!(hits.map((h) => index.ids[h.doc]!));
  const approx = new Map(hits.map((h) => [index.ids[h.doc]!, h.score]));
  // A compressed-only store's documents are rescored from their rows as the index decodes them.
  return fetched.map((h) => ({
    ...h,
    score: approx.get(h.id) ?? h.score,
    ...(h.codes ? { vectors: decodeRows(h.codes, index, h.id) } : {}),
  }));
}

/** The index's documents among these ids, one byte each (ids the index does not hold are left out). */
function subsetOf(index: PlaidIndex, ids: readonly string[]): Uint8Array {
  const wanted = new Set(ids);
  const subset = new Uint8Array(index.ids.length);
  index.ids.forEach((id, d) => {
    if (wanted.has(id)) subset[d] = 1;
  });
  return subset;
}

/** A document's best passage and its score (the whole document when it was not split), by maxSim as t.score() computes it. */
function bestPassage(q: RowMatrix, vectors: RowMatrix, passages: PassageSpan[] | undefined) {
  const scores = passageRows({ vectors, ...(passages ? { passages } : {}) }).map((rows) => maxSim(q, rows));
  const index = scores.reduce((best, s, i) => (s > scores[best]! ? i : best), 0);
  return { score: scores[index]!, index };
}
