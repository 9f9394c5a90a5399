import { ElemType } from './graph-info.js';
import { Writer } from './protobuf.js';

/** A dimension: a fixed size, or a named (dynamic) axis such as 'batch'. */
export type Dim = number | string;

/** An attribute value, tagged with its ONNX type. */
export type Attribute =
  | { int: number }
  | { ints: readonly number[] }
  | { float: number }
  | { floats: readonly number[] }
  | { string: string };

/** The tensor element types a graph built here declares. */
export type TensorType = 'float32' | 'float16' | 'int64' | 'int32' | 'int8' | 'uint8';

const ELEM: Record<TensorType, number> = {
  float32: ElemType.FLOAT,
  float16: ElemType.FLOAT16,
  int64: ElemType.INT64,
  int32: ElemType.INT32,
  int8: ElemType.INT8,
  uint8: ElemType.UINT8,
};

/** The ONNX element-type code of a tensor type: the value a Cast node's `to` attribute takes. */
export const elemType = (type: TensorType): number => ELEM[type];

/** Initializer data: typed arrays of the tensor's type (float16 as raw Uint16 bits). */
export type TensorData = Float32Array | Uint16Array | BigInt64Array | Int32Array | Int8Array | Uint8Array;

// ONNX's protobuf field numbers (onnx.proto), in one place: nothing outside this file writes them.
const MODEL = { irVersion: 1, producerName: 2, graph: 7, opsetImport: 8 } as const;
const GRAPH = { node: 1, name: 2, initializer: 5, input: 11, output: 12 } as const;
const NODE = { input: 1, output: 2, name: 3, opType: 4, attribute: 5, domain: 7 } as const;
const ATTR = { name: 1, f: 2, i: 3, s: 4, floats: 7, ints: 8, type: 20 } as const;
const ATTR_TYPE = { FLOAT: 1, INT: 2, STRING: 3, FLOATS: 6, INTS: 7 } as const;
const TENSOR = { dims: 1, dataType: 2, name: 8, rawData: 9 } as const;
const VALUE = { name: 1, type: 2 } as const;

function attribute(name: string, a: Attribute): Writer {
  const w = new Writer().string(ATTR.name, name);
  if ('int' in a) return w.varint(ATTR.i, a.int).varint(ATTR.type, ATTR_TYPE.INT);
  if ('float' in a) return w.float32(ATTR.f, a.float).varint(ATTR.type, ATTR_TYPE.FLOAT);
  if ('string' in a) return w.string(ATTR.s, a.string).varint(ATTR.type, ATTR_TYPE.STRING);
  if ('ints' in a) {
    for (const v of a.ints) w.varint(ATTR.ints, v);
    return w.varint(ATTR.type, ATTR_TYPE.INTS);
  }
  for (const v of a.floats) w.float32(ATTR.floats, v);
  return w.varint(ATTR.type, ATTR_TYPE.FLOATS);
}

function valueInfo(name: string, type: TensorType, dims: readonly Dim[] | undefined): Writer {
  // TypeProto.tensor_type = 1; TypeProto.Tensor.elem_type = 1, shape = 2 (left out: shape unknown).
  const tensorType = new Writer().varint(1, ELEM[type]);
  if (dims) {
    const shape = new Writer();
    // TensorShapeProto.dim = 1; Dimension.dim_value = 1, dim_param = 2.
    for (const d of dims)
      shape.message(1, typeof d === 'number' ? new Writer().varint(1, d) : new Writer().string(2, d));
    tensorType.message(2, shape);
  }
  return new Writer().string(VALUE.name, name).message(VALUE.type, new Writer().message(1, tensorType));
}

/**
 * An ONNX model written node by node with names, types and attributes, never field numbers:
 * for graphs Tessera makes itself (the MaxSim scorer, the bench's encoders). No npm library
 * writes ONNX models without pulling in protobufjs and the whole schema, so the few messages a
 * graph needs are written here over a small protobuf writer.
 */
export class OnnxGraph {
  private readonly graph = new Writer();
  private count = 0;

  /** A graph without a name is a patch: see toPatch(). Names made by node() start with `prefix`. */
  constructor(
    name: string | undefined,
    readonly opset = 17,
    private readonly producer = 'tessera',
    private readonly prefix = '',
  ) {
    if (name !== undefined) this.graph.string(GRAPH.name, name);
  }

  /** A graph input. */
  input(name: string, type: TensorType, dims: readonly Dim[]): this {
    this.graph.message(GRAPH.input, valueInfo(name, type, dims));
    return this;
  }

  /** A graph output; without dims its shape is left unknown. */
  output(name: string, type: TensorType, dims?: readonly Dim[]): this {
    this.graph.message(GRAPH.output, valueInfo(name, type, dims));
    return this;
  }

  /** A constant tensor (weights), stored in the model; returns its name. */
  initializer(name: string, type: TensorType, dims: readonly number[], data: TensorData): string {
    const size = dims.reduce((a, b) => a * b, 1);
    if (data.length !== size)
      throw new Error(`initializer ${name}: ${data.length} values for dims [${dims.join(', ')}] (${size})`);
    const w = new Writer();
    for (const d of dims) w.varint(TENSOR.dims, d);
    w.varint(TENSOR.dataType, ELEM[type]).string(TENSOR.name, name);
    w.bytes(TENSOR.rawData, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    this.graph.message(GRAPH.initializer, w);
    return name;
  }

  /**
   * A node; returns its first output's name. Outputs default to one fresh name from the op
   * ("matmul_3"), which is what a chain of nodes needs.
   */
  node(op: string, inputs: readonly string[], attributes: Record<string, Attribute> = {}, outputs?: string[]): string {
    const outs = outputs ?? [`${this.prefix}${op.toLowerCase()}_${this.count}`];
    const w = new Writer();
    for (const i of inputs) w.string(NODE.input, i);
    for (const o of outs) w.string(NODE.output, o);
    w.string(NODE.name, `${this.prefix}${op}_${this.count++}`).string(NODE.opType, op);
    for (const [k, v] of Object.entries(attributes)) w.message(NODE.attribute, attribute(k, v));
    this.graph.message(GRAPH.node, w);
    return outs[0]!;
  }

  /**
   * ModelProto bytes holding only this graph's additions: appended to another model's bytes, its
   * nodes, initializers and outputs join that model's graph (protobuf merges repeated fields of an
   * embedded message).
   */
  toPatch(): Uint8Array {
    return new Writer().message(MODEL.graph, this.graph).finish();
  }

  /** The serialized ModelProto (IR version 8, the default ONNX domain at this graph's opset). */
  toBytes(): Uint8Array {
    return new Writer()
      .varint(MODEL.irVersion, 8)
      .string(MODEL.producerName, this.producer)
      .message(MODEL.graph, this.graph)
      .message(MODEL.opsetImport, new Writer().string(1, '').varint(2, this.opset))
      .finish();
  }
}
