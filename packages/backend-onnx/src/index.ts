import { BACKEND_CONTRACT } from '@tessera/core/backend';
import type { Backend } from '@tessera/core';
import { listDevices } from './devices.js';
import { graphFiles } from './graph-names.js';
import { OnnxModel, liveSessionCount, ort } from './onnx-model.js';

export { readGraphInfo, readGraphInfoOf, ElemType, type GraphInfo, type ValueInfo } from '@tessera/onnx-graph';
export { projectionPatch } from './projection-graph.js';
export { elemType, OnnxGraph, type Attribute, type Dim, type TensorData, type TensorType } from '@tessera/onnx-graph';
export { chooseGraph, chooseOutput, OnnxModel } from './onnx-model.js';
export { GRAPHS, graphFiles } from './graph-names.js';
export {
  exportOnnx,
  EXPORT_FILES,
  EXPORTER_VERSION,
  type ExportManifest,
  type ExportOptions,
  type ExportResult,
} from './export/export-model.js';
export { cachedGraph, exportCacheDir, exportCacheRoot } from './export/export-cache.js';
export { EXPORTABLE, MIN_OPSET, MAX_OPSET } from '@tessera/onnx-graph';
export type { ExportDtype } from '@tessera/onnx-graph';
export { listDevices, cudaProviderLibrary } from './devices.js';

// The engine loads with the package, so a broken onnxruntime-node install fails here and the registry
// reports why (`tessera backends`, backend 'auto') instead of failing later at the first model.
ort();

/** The ONNX Runtime backend: CUDA and CPU execution providers through onnxruntime-node. */
export const backend: Backend = {
  name: 'onnx',
  priority: 30,
  contract: BACKEND_CONTRACT,
  async devices() {
    return listDevices();
  },
  load(spec, options) {
    return OnnxModel.load(spec, options);
  },
  files: graphFiles,
  resources() {
    return { sessions: liveSessionCount() };
  },
};

export default backend;
