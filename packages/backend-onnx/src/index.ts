import type { Backend } from '@tessera/core';
import { listDevices } from './devices.js';
import { OnnxModel, liveSessionCount } from './onnx-model.js';

export { readGraphInfo, readGraphInfoOf, ElemType, type GraphInfo, type ValueInfo } from './graph-info.js';
export { projectionPatch } from './projection-graph.js';
export { Writer, Reader, fields } from './protobuf.js';
export { chooseGraph, chooseOutput, OnnxModel } from './onnx-model.js';
export { listDevices, cudaProviderLibrary } from './devices.js';

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
