export * from './errors.js';
export * from './types.js';
export * from './backend/types.js';
export { BACKEND_CONTRACT } from './backend/contract.js';
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
export { parseDevice, pickDevice, type DeviceRequest } from './backend/device.js';
export { planBatches, padBatch, paddingShare, type BatchLimits, type PlannedItem } from './batching/plan.js';
export {
  buildColbert,
  buildPlain,
  frame,
  roleText,
  promptTokenCount,
  resolveColbertTokens,
  type ColbertTokens,
} from './colbert/inputs.js';
export {
  Encoder,
  checkTexts,
  type EncodeCallOptions,
  type EncodeKind,
  type BatchStats,
  type BudgetChange,
} from './encoder.js';
export { isOutOfMemory, textTooLarge } from './backend/out-of-memory.js';
export { cudaMemory, cudaTokenBudget, bytesPerToken, type GpuMemory } from './backend/gpu-memory.js';
export {
  SafetensorsFile,
  encodeSafetensors,
  writeSafetensors,
  bytesToFloat32,
  type TensorInfo,
  type TensorToWrite,
} from './io/safetensors.js';
export { decodeNpy, encodeNpy } from './io/npy.js';
export { decodeF16, decodeBF16, halfToFloat } from './io/half.js';
export { HfTextTokenizer, type TokenizerLoadOptions } from './tokenizer/hf-tokenizer.js';
export type { TextTokenizer, TokenizedText } from './tokenizer/types.js';
export { loadModelSpec, type LoadSpecOptions } from './model/load-folder.js';
export {
  resolveColbertSettings,
  STANFORD_DEFAULTS,
  PYLATE_DEFAULTS,
  ASCII_PUNCTUATION,
  type ColbertOverrides,
  type ColbertSource,
} from './model/colbert-settings.js';
export { readModules, moduleConfig, type StModule, type ModuleRole } from './model/modules.js';
export { applyDenseLayers, activate, erf, defaultActivation } from './model/dense-layer.js';
export type * from './model/spec.js';
export {
  readEncoderWeights,
  architectureOf,
  type EncoderDescription,
  type BertFamilyConfig,
  type ModernBertConfig,
  type Tensor32,
} from './model/encoder-weights.js';
export { normalizeRows, extractRows } from './postprocess/rows.js';
export { poolRows } from './postprocess/pooling.js';
export { maxSim, maxSimMany, maxSimScalar, topK, type RowMatrix, type Ranked } from './scoring/maxsim.js';
export { PackedDocuments, checkDocuments, type PackedKind, type ScorerDocument } from './scoring/packed.js';
export { DocumentScorer, rowMajor, type ScorerOptions } from './scoring/scorer.js';
export { toRows } from './scoring/to-rows.js';
export {
  lengthChunks,
  queryGroups,
  scatterScores,
  type LengthChunk,
  type QueryGroup,
} from './scoring/length-chunks.js';
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
export { listModels, findModel, defaultModel, parseRegistry, type ModelEntry } from './registry/index.js';
export { hubSettings, type HubSettings } from './hub/env.js';
export { snapshotDownload, cachedSnapshot, type DownloadProgress, type SnapshotRequest } from './hub/download.js';
export {
  resolveModel,
  safetensorsWeights,
  selectFiles,
  type ResolvedModel,
  type ResolveOptions,
} from './hub/resolve-model.js';
export { repoFolderName, safeJoin } from './hub/paths.js';
export { Tessera, defaultBatchLimits, type CreateOptions, type RerankResult } from './tessera.js';
export type {
  Store,
  StoreRecord,
  StoredEntry,
  StoreHit,
  StoreSearchOptions,
  UpsertOptions,
  IndexManifest,
} from './store/types.js';
export { MemoryStore, checkRecord } from './store/memory-store.js';
export {
  indexDocuments,
  storeError,
  type IndexDocument,
  type IndexOptions,
  type IndexProgress,
  type IndexSummary,
} from './store/index-documents.js';
export { searchIndex, type SearchOptions, type SearchResult } from './store/search-index.js';
export { manifestFor, checkManifest, openManifest } from './store/manifest.js';
export { modelFingerprint } from './model/fingerprint.js';
export {
  openCorpus,
  formatByName,
  corpusFormat,
  TEXT_EXTENSIONS,
  type Corpus,
  type CorpusOptions,
  type CorpusProblem,
  type IdRule,
} from './corpus/read-corpus.js';
export { parseRecord, type RecordFields } from './corpus/parse-record.js';
export { planShards, type Shard, type ShardPlan } from './corpus/shards.js';
