// @tessera/core/store: what a store or index-pipeline author builds with (records, manifests,
// corpus parsing and sharding) beside the Store types of the root entry.
export { checkRecord } from './store/memory-store.js';
export { storeError } from './store/index-documents.js';
export { manifestFor, checkManifest, openManifest } from './store/manifest.js';
export { formatByName, TEXT_EXTENSIONS } from './corpus/read-corpus.js';
export { parseRecord } from './corpus/parse-record.js';
export { planShards } from './corpus/shards.js';
