// @tessera/core/backend: what a backend author builds with (framing, batching, weights, the
// projection, post-processing, memory and device helpers) beside the Backend types of the root entry.
export { BACKEND_CONTRACT } from './backend/contract.js';
export { pickDevice } from './backend/device.js';
export { planBatches, padBatch, paddingShare } from './batching/plan.js';
export { buildColbert, buildPlain, frame, roleText, promptTokenCount, resolveColbertTokens } from './colbert/inputs.js';
export { Encoder, checkTexts } from './encoder.js';
export { isOutOfMemory, textTooLarge } from './backend/out-of-memory.js';
export { cudaMemory, cudaTokenBudget, bytesPerToken } from './backend/gpu-memory.js';
export { SafetensorsFile, bytesToFloat32 } from './io/safetensors.js';
export { nodeFiles } from './io/node-files.js';
export { GRAPHS, graphCandidates, graphFiles, graphNames } from './model/onnx-graphs.js';
export { chooseOutput, type GraphOutput } from './backend/graph-output.js';
export { decodeF16, decodeBF16, encodeF16, halfToFloat } from './io/half.js';
export { writeFailureReason } from './io/write-failure.js';
export {
  resolveColbertSettings,
  STANFORD_DEFAULTS,
  PYLATE_DEFAULTS,
  ASCII_PUNCTUATION,
} from './model/colbert-settings.js';
export { readModules, moduleConfig } from './model/modules.js';
export { defaultActivation } from './model/dense-layer.js';
export { applyDenseLayers, activate, erf } from './postprocess/dense-apply.js';
export { readEncoderWeights, architectureOf } from './model/encoder-weights.js';
export { normalizeRows, extractRows } from './postprocess/rows.js';
export { poolRows } from './postprocess/pooling.js';
export { maxSimScalar } from './scoring/maxsim.js';
export { PackedDocuments, checkDocuments } from './scoring/packed.js';
export { rowMajor } from './scoring/scorer.js';
export { lengthChunks, queryGroups, scatterScores } from './scoring/length-chunks.js';
export { parseRegistry } from './registry/index.js';
export { safetensorsWeights, selectFiles } from './hub/resolve-model.js';
export { safeJoin } from './hub/paths.js';
export { defaultBatchLimits } from './tessera.js';
export { modelFingerprint } from './model/fingerprint.js';
