import { TesseraError } from '@tessera/core/browser';
import { fields } from './protobuf.js';

/** ONNX TensorProto.DataType values we meet at a text encoder's boundary. */
export const ElemType = { FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7, FLOAT16: 10 } as const;

export interface ValueInfo {
  name: string;
  elemType: number | undefined;
  /** Fixed sizes as numbers, symbolic ones as their names. */
  dims: Array<number | string>;
}

export interface GraphInfo {
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  /** Names of initializers (weights), which some exporters also list as inputs. */
  initializers: Set<string>;
  opsetVersion: number | undefined;
  /** The model stores weights in an external file. */
  externalData: boolean;
  /** How many nodes of each operator the graph has ("DynamicQuantizeMatMul": 12). */
  ops: Record<string, number>;
}

const text = new TextDecoder();

function valueInfo(buf: Uint8Array): ValueInfo {
  const v: ValueInfo = { name: '', elemType: undefined, dims: [] };
  for (const f of fields(buf)) {
    if (f.num === 1 && f.value instanceof Uint8Array) v.name = text.decode(f.value);
    if (f.num === 2 && f.value instanceof Uint8Array) {
      for (const t of fields(f.value)) {
        if (t.num !== 1 || !(t.value instanceof Uint8Array)) continue; // tensor_type
        for (const tt of fields(t.value)) {
          if (tt.num === 1) v.elemType = Number(tt.value);
          if (tt.num === 2 && tt.value instanceof Uint8Array) {
            for (const d of fields(tt.value)) {
              if (d.num !== 1 || !(d.value instanceof Uint8Array)) continue;
              let dim: number | string = '?';
              for (const x of fields(d.value)) {
                if (x.num === 1) dim = Number(x.value);
                if (x.num === 2 && x.value instanceof Uint8Array) dim = text.decode(x.value);
              }
              v.dims.push(dim);
            }
          }
        }
      }
    }
  }
  return v;
}

/** Reads the graph's inputs and outputs from ONNX ModelProto bytes without loading the weights. */
export function readGraphInfo(model: Uint8Array): GraphInfo {
  const info: GraphInfo = {
    inputs: [],
    outputs: [],
    initializers: new Set(),
    opsetVersion: undefined,
    externalData: false,
    ops: {},
  };
  let sawGraph = false;
  for (const f of fields(model)) {
    if (f.num === 8 && f.value instanceof Uint8Array) {
      // opset_import: domain (1), version (2); the default domain is "".
      let domain = '';
      let version: number | undefined;
      for (const o of fields(f.value)) {
        if (o.num === 1 && o.value instanceof Uint8Array) domain = text.decode(o.value);
        if (o.num === 2) version = Number(o.value);
      }
      if (domain === '' || domain === 'ai.onnx') info.opsetVersion = version;
    }
    if (f.num !== 7 || !(f.value instanceof Uint8Array)) continue;
    sawGraph = true;
    for (const g of fields(f.value)) {
      if (g.num === 11 && g.value instanceof Uint8Array) info.inputs.push(valueInfo(g.value));
      if (g.num === 12 && g.value instanceof Uint8Array) info.outputs.push(valueInfo(g.value));
      if (g.num === 1 && g.value instanceof Uint8Array) {
        // NodeProto.op_type = 4.
        for (const nf of fields(g.value))
          if (nf.num === 4 && nf.value instanceof Uint8Array) {
            const op = text.decode(nf.value);
            info.ops[op] = (info.ops[op] ?? 0) + 1;
          }
      }
      if (g.num === 5 && g.value instanceof Uint8Array) {
        for (const t of fields(g.value)) {
          if (t.num === 8 && t.value instanceof Uint8Array) info.initializers.add(text.decode(t.value));
          if (t.num === 14) info.externalData = info.externalData || Number(t.value) === 1; // data_location EXTERNAL
        }
      }
    }
  }
  if (!sawGraph) throw new Error('no graph in the ModelProto');
  info.inputs = info.inputs.filter((i) => !info.initializers.has(i.name));
  return info;
}

/** readGraphInfo for a file's bytes: any failure is a CORRUPT_FILE TesseraError that names the file. */
export function readGraphInfoOf(model: Uint8Array, file: string): GraphInfo {
  try {
    return readGraphInfo(model);
  } catch (e) {
    throw new TesseraError(
      'CORRUPT_FILE',
      `${file}: not a readable ONNX model (${(e as Error).message})`,
      { file },
      { cause: e },
    );
  }
}
