// @tessera/onnx-graph: ONNX models written and read as bytes, with no Node built-ins, so the ONNX
// backend (Node) and the web backend (a page) build the same graphs from a checkpoint's weights.
export { Reader, Writer, fields, type Field } from './protobuf.js';
export { readGraphInfo, readGraphInfoOf, ElemType, type GraphInfo, type ValueInfo } from './graph-info.js';
export { elemType, OnnxGraph, type Attribute, type Dim, type TensorData, type TensorType } from './graph-builder.js';
export {
  checkOpset,
  encoderGraph,
  EXPORTABLE,
  MAX_OPSET,
  MIN_OPSET,
  type EncoderGraph,
  type GraphOptions,
} from './encoder-graph.js';
export { GraphLayers, quantizeColumns, transposed, type ExportDtype } from './layers.js';
