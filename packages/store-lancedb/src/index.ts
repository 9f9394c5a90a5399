// @lancedb/lancedb is pinned to 0.31.0: newer releases' lockfiles fail `npm ci` on the machines
// we build on, and the multivector column and query API used here are checked against it.
export { LanceDbStore, MANIFEST_FILE, type AnnIndexOptions, type LanceDbSearchTuning } from './lancedb-store.js';
export { tableSchema, recordsToTable } from './arrow-rows.js';

import { LanceDbStore } from './lancedb-store.js';

/** Opens the index folder at `dir` (created on first write). */
export function openLanceDbStore(dir: string): Promise<LanceDbStore> {
  return LanceDbStore.open(dir);
}

/** The store-package entry the queue's workers open an index with (see @tessera/queue). */
export function openStore(location: string): Promise<LanceDbStore> {
  return LanceDbStore.open(location);
}
