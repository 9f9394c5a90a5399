import type { Backend } from '@tessera/core';
import { listDevices } from './devices.js';
import { OnnxModel, liveSessionCount, ort } from './onnx-model.js';

export { readGraphInfo, readGraphInfoOf, ElemType, type GraphInfo, type ValueInfo } from './graph-info.js';
export { projectionPatch } from './projection-graph.js';
export { Writer, Reader, fields } from './protobuf.js';
export { chooseGraph, chooseOutput, OnnxModel } from './onnx-model.js';
export { listDevices, cudaProviderLibrary } from './devices.js';

// The engine loads with the package, so a broken onnxruntime-node install fails here and the registry
// reports why (`tessera backends`, backend 'auto') instead of failing later at the first model.
ort();

/** The ONNX Runtime backend: CUDA and CPU execution providers through onnxruntime-node. */
export const backend: Backend = {
  name: 'onnx',
  priority: 30,
  async devices() {
    return listDevices();
  },
  load(spec, options) {
    return OnnxModel.load(spec, options);
  },
  resources() {
    return { sessions: liveSessionCount() };
  },
};

export default backend;
