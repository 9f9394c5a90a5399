// @tessera/core/store: what a store or index-pipeline author builds with (records, manifests,
// corpus parsing and sharding) beside the Store types of the root entry.
export { checkRecord } from './store/memory-store.js';
export { storeError } from './store/index-documents.js';
export { manifestFor, checkManifest, openManifest } from './store/manifest.js';
export { formatByName, TEXT_EXTENSIONS } from './corpus/read-corpus.js';
export { parseRecord } from './corpus/parse-record.js';
export { planShards } from './corpus/shards.js';
export { searchStore } from './store/search-index.js';
export { buildLateIndex, loadLateIndex, PLAID_SET, updateLateIndex } from './store/late-index.js';
export { buildPlaidIndex, type PlaidBuildOptions, type PlaidSource, type NearestCentroids } from './plaid/build.js';
export { searchPlaid, searchPlaidThreads, defaultKnobs, type PlaidHit } from './plaid/search.js';
export { plaidFiles, parsePlaidFiles, PLAID_FORMAT, PLAID_FILES, PLAID_META } from './plaid/index-files.js';
export { plaidCentroidCount, kmeans } from './plaid/kmeans.js';
export { dotScores } from './plaid/dot-scores.js';
export type { PlaidIndex } from './plaid/plaid-index.js';
export { bestPassageScores, passageRows } from './scoring/passages.js';
export { documentTextRoom, encodeInPassages, passagePlanner } from './store/passage-plan.js';
export {
  CODEC_SET,
  checkKeepsCodes,
  compressDocuments,
  openCodec,
  readCodec,
  requireCodec,
  writeCodec,
} from './store/compressed-rows.js';
export { decodeRows, packRows, unpackRows } from './plaid/packed-rows.js';
export { trainCodec, type TrainedCodec } from './plaid/train.js';
