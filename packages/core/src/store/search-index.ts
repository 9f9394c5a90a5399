import { TesseraError } from '../errors.js';
import { maxSim } from '../scoring/maxsim.js';
import type { Tessera } from '../tessera.js';
import { storeError } from './index-documents.js';
import { checkManifest, manifestFor } from './manifest.js';
import type { Store } from './types.js';

export interface SearchOptions {
  /** Results to return (default 10). */
  topK?: number;
}

export interface SearchResult {
  id: string;
  /** MaxSim of the query against the document, as score() computes it. */
  score: number;
  text?: string;
  metadata?: Record<string, unknown>;
}

/**
 * Encodes the query and asks the store for its best documents. Hits that come with their rows
 * are rescored with core's MaxSim, so scores equal `t.score(query, document)` whatever the
 * store's own arithmetic (LanceDB's cosine, an approximate index's estimate).
 */
export async function searchIndex(
  t: Tessera,
  store: Store,
  query: string,
  options: SearchOptions = {},
): Promise<SearchResult[]> {
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
  const [q] = await t.encodeQueries([query]);
  let hits;
  try {
    hits = await store.search(q!, { limit: topK });
  } catch (e) {
    throw storeError(store, 'searching', e);
  }
  const results = hits.map((h) => ({
    id: h.id,
    score: h.vectors ? maxSim(q!, h.vectors) : h.score,
    ...(h.text !== undefined ? { text: h.text } : {}),
    ...(h.metadata ? { metadata: h.metadata } : {}),
  }));
  results.sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return results.slice(0, topK);
}
