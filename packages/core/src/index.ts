// The user's API: create a model, encode, score, index and search, the registry and hub, the
// backend registry, and every type. Backend and store authors' helpers are in ./backend-kit.ts
// (@tessera/core/backend) and ./store-kit.ts (@tessera/core/store).
export * from './errors.js';
export * from './types.js';
export * from './backend/types.js';

export {
  registerBackend,
  unregisterBackend,
  registeredBackends,
  installedBackends,
  loadBackends,
  getBackend,
  resolveBackend,
  resolveAutoBackend,
  backendStatus,
  type BackendEntry,
  type BackendStatus,
  type BackendProblem,
  type AutoChoice,
} from './backend/registry.js';
export { parseDevice, type DeviceRequest } from './backend/device.js';
export type { BatchLimits, PlannedItem } from './batching/plan.js';
export type { ColbertTokens } from './colbert/inputs.js';
export type { EncodeCallOptions, EncodeKind, BatchStats, BudgetChange } from './encoder.js';

export type { GpuMemory } from './backend/gpu-memory.js';
export type { TensorInfo } from './io/safetensors.js';
export { encodeSafetensors, writeSafetensors, type TensorToWrite } from './io/safetensors-write.js';
export { decodeNpy, encodeNpy } from './io/npy.js';

export { HfTextTokenizer, type TokenizerLoadOptions } from './tokenizer/hf-tokenizer.js';
export type { TextTokenizer, TokenizedText } from './tokenizer/types.js';
export { readModelSpec, type LoadSpecOptions } from './model/load-folder.js';
export { loadModelSpec } from './model/load-local.js';
export { MemoryFiles, type ModelFiles } from './io/model-files.js';
export type { ColbertOverrides, ColbertSource } from './model/colbert-settings.js';
export type { StModule, ModuleRole } from './model/modules.js';

export type * from './model/spec.js';
export type { EncoderDescription, BertFamilyConfig, ModernBertConfig, Tensor32 } from './model/encoder-weights.js';

export { maxSim, maxSimMany, topK, type RowMatrix, type Ranked } from './scoring/maxsim.js';
export type { PassageDocument, PassageSpan } from './scoring/passages.js';
export { splitPassages, type PassageOptions, type TextSpan } from './corpus/passages.js';
export type { PackedKind, ScorerDocument } from './scoring/packed.js';
export { DocumentScorer, type ScorerOptions } from './scoring/scorer.js';
export { toRows } from './scoring/to-rows.js';
export type { LengthChunk, QueryGroup } from './scoring/length-chunks.js';
export { cosine, dot } from './scoring/dense.js';
export {
  quantize,
  quantizeBinary,
  quantizeInt8,
  dequantize,
  maxSimBinary,
  maxSimInt8,
  maxSimQuantized,
} from './scoring/quantize.js';
export { listModels, findModel, defaultModel, type ModelEntry } from './registry/index.js';
export { hubSettings, type HubSettings } from './hub/env.js';
export { snapshotDownload, cachedSnapshot, type DownloadProgress, type SnapshotRequest } from './hub/download.js';
export { resolveModel, type ResolvedModel, type ResolveOptions } from './hub/resolve-model.js';
export { repoFolderName } from './hub/paths.js';
export { Tessera, type CreateOptions, type RerankResult } from './tessera.js';
export type {
  Store,
  StoreRecord,
  StoredEntry,
  StoreHit,
  StoreArtifacts,
  StoreSearchOptions,
  UpsertOptions,
  IndexManifest,
} from './store/types.js';
export { MemoryStore } from './store/memory-store.js';
export {
  indexDocuments,
  type IndexDocument,
  type IndexOptions,
  type CodecOptions,
  type IndexProgress,
  type IndexSummary,
} from './store/index-documents.js';
export type { Encoded, PassagePlanner, PassageSetting } from './store/passage-plan.js';
export { searchIndex, type SearchOptions, type SearchReport, type SearchResult } from './store/search-index.js';
export type { LateIndexOptions, LateIndexSummary } from './store/late-index.js';
export type { PlaidKnobs } from './plaid/search.js';

export {
  openCorpus,
  corpusFormat,
  type Corpus,
  type CorpusOptions,
  type CorpusProblem,
  type IdRule,
} from './corpus/read-corpus.js';
export type { RecordFields } from './corpus/parse-record.js';
export type { Shard, ShardPlan } from './corpus/shards.js';
