// @tessera/core in a page (bundlers take it through the "browser" export condition): the same
// Tessera API, with models fetched from a URL or picked by the user and backends the page
// registers (@tessera/backend-web). Nothing on this entry's import path is Node-only.
export * from './errors.js';
export * from './types.js';
export * from './backend/types.js';
export type { BatchLimits, PlannedItem } from './batching/plan.js';
export type { EncodeCallOptions, EncodeKind, BatchStats, BudgetChange } from './encoder.js';
export type { DownloadProgress } from './hub/download.js';
export type * from './model/spec.js';
export { Tessera, type CreateOptions, type RerankResult } from './tessera.js';
export { registerBackend } from './platform/browser.js';
export { fetchModelFiles, type FetchModelOptions } from './browser/fetch-model.js';
export { modelFilesFromPicked, type PickedFile, type PickedDirectory } from './browser/picked-files.js';
export { MemoryFiles, type ModelFiles } from './io/model-files.js';
export { readModelSpec, type LoadSpecOptions } from './model/load-folder.js';
export { HfTextTokenizer } from './tokenizer/hf-tokenizer.js';
export type { TextTokenizer, TokenizedText } from './tokenizer/types.js';
export { maxSim, maxSimMany, topK, type RowMatrix, type Ranked } from './scoring/maxsim.js';
export { DocumentScorer, type ScorerOptions } from './scoring/scorer.js';
export type { ScorerDocument } from './scoring/packed.js';
export { cosine, dot } from './scoring/dense.js';
export { quantize, dequantize, maxSimQuantized } from './scoring/quantize.js';
export { toRows } from './scoring/to-rows.js';
export { splitPassages, type PassageOptions, type TextSpan } from './corpus/passages.js';
export { MemoryStore } from './store/memory-store.js';
export type { SearchOptions, SearchReport, SearchResult } from './store/search-index.js';
// What a backend for pages builds with.
export { BACKEND_CONTRACT } from './backend/contract.js';
export { decodeF16, encodeF16 } from './io/half.js';
export {
  architectureOf,
  readEncoderWeights,
  type EncoderDescription,
  type BertFamilyConfig,
  type ModernBertConfig,
  type Tensor32,
} from './model/encoder-weights.js';
export { GRAPHS, graphCandidates, graphFiles, graphNames } from './model/onnx-graphs.js';
export { chooseOutput, type GraphOutput } from './backend/graph-output.js';
