import type { DenseLayer } from '@tessera/core';
import { ElemType } from './graph-info.js';
import { Writer } from './protobuf.js';

/** Prefix of everything we add, so our names never clash with the exporter's. */
const P = 'tessera_proj';

function tensor(name: string, dims: number[], data: Float32Array): Writer {
  const w = new Writer();
  for (const d of dims) w.varint(1, d);
  w.varint(2, ElemType.FLOAT);
  w.string(8, name);
  w.bytes(9, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  return w;
}

function node(op: string, inputs: string[], outputs: string[], name: string): Writer {
  const w = new Writer();
  for (const i of inputs) w.string(1, i);
  for (const o of outputs) w.string(2, o);
  w.string(3, name);
  w.string(4, op);
  return w;
}

function scalar(name: string, v: number): Writer {
  return tensor(name, [], Float32Array.of(v));
}

/** W [out, in] (PyTorch) transposed to [in, out] for MatMul. */
function transpose(l: DenseLayer): Float32Array {
  const t = new Float32Array(l.inFeatures * l.outFeatures);
  for (let o = 0; o < l.outFeatures; o++) for (let i = 0; i < l.inFeatures; i++) t[i * l.outFeatures + o] = l.weight[o * l.inFeatures + i]!;
  return t;
}

/**
 * ModelProto bytes that, appended to a model's bytes, add the projection layers after `hidden`
 * and a new graph output. Protobuf merges a repeated embedded message field, so the appended
 * graph's nodes, initializers and outputs join the original graph's.
 */
export function projectionPatch(hidden: string, layers: readonly DenseLayer[]): { patch: Uint8Array; output: string } {
  const graph = new Writer();
  let cur = hidden;
  layers.forEach((l, k) => {
    const w = `${P}_${k}_weight`;
    const mm = `${P}_${k}_matmul`;
    graph.message(5, tensor(w, [l.inFeatures, l.outFeatures], transpose(l)));
    graph.message(1, node('MatMul', [cur, w], [mm], `${P}_${k}_MatMul`));
    cur = mm;
    if (l.bias) {
      const b = `${P}_${k}_bias`;
      const add = `${P}_${k}_add`;
      graph.message(5, tensor(b, [l.outFeatures], l.bias));
      graph.message(1, node('Add', [cur, b], [add], `${P}_${k}_Add`));
      cur = add;
    }
    const act = `${P}_${k}_act`;
    switch (l.activation) {
      case 'identity':
        break;
      case 'tanh':
      case 'relu':
      case 'sigmoid': {
        const op = { tanh: 'Tanh', relu: 'Relu', sigmoid: 'Sigmoid' }[l.activation];
        graph.message(1, node(op, [cur], [act], `${P}_${k}_${op}`));
        cur = act;
        break;
      }
      case 'gelu': {
        // Exact GELU: 0.5 * x * (1 + erf(x / sqrt(2))), in ops every opset has.
        graph.message(5, scalar(`${P}_${k}_rsqrt2`, Math.SQRT1_2));
        graph.message(5, scalar(`${P}_${k}_one`, 1));
        graph.message(5, scalar(`${P}_${k}_half`, 0.5));
        graph.message(1, node('Mul', [cur, `${P}_${k}_rsqrt2`], [`${act}_s`], `${P}_${k}_g1`));
        graph.message(1, node('Erf', [`${act}_s`], [`${act}_e`], `${P}_${k}_g2`));
        graph.message(1, node('Add', [`${act}_e`, `${P}_${k}_one`], [`${act}_p`], `${P}_${k}_g3`));
        graph.message(1, node('Mul', [cur, `${act}_p`], [`${act}_m`], `${P}_${k}_g4`));
        graph.message(1, node('Mul', [`${act}_m`, `${P}_${k}_half`], [act], `${P}_${k}_g5`));
        cur = act;
        break;
      }
    }
  });
  const output = `${P}_output`;
  graph.message(1, node('Identity', [cur], [output], `${P}_Identity`));
  const tensorType = new Writer().varint(1, ElemType.FLOAT);
  const type = new Writer().message(1, tensorType);
  graph.message(12, new Writer().string(1, output).message(2, type));
  return { patch: new Writer().message(7, graph).finish(), output };
}
