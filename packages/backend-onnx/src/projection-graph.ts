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

function node(
  op: string,
  inputs: string[],
  outputs: string[],
  name: string,
  intAttrs: Record<string, number> = {},
): Writer {
  const w = new Writer();
  for (const i of inputs) w.string(1, i);
  for (const o of outputs) w.string(2, o);
  w.string(3, name);
  w.string(4, op);
  // AttributeProto: name (1), i (3), type (20) = INT (2).
  for (const [k, v] of Object.entries(intAttrs)) w.message(5, new Writer().string(1, k).varint(3, v).varint(20, 2));
  return w;
}

function scalar(name: string, v: number): Writer {
  return tensor(name, [], Float32Array.of(v));
}

/** W [out, in] (PyTorch) transposed to [in, out] for MatMul. */
function transpose(w: Float32Array, inF: number, outF: number): Float32Array {
  const t = new Float32Array(inF * outF);
  for (let o = 0; o < outF; o++) for (let i = 0; i < inF; i++) t[i * outF + o] = w[o * inF + i]!;
  return t;
}

/**
 * ModelProto bytes that, appended to a model's bytes, add the projection layers after `hidden`
 * and a new graph output. Protobuf merges a repeated embedded message field, so the appended
 * graph's nodes, initializers and outputs join the original graph's.
 */
export function projectionPatch(
  hidden: string,
  layers: readonly DenseLayer[],
  hiddenType: number = ElemType.FLOAT,
): { patch: Uint8Array; output: string } {
  const graph = new Writer();
  let cur = hidden;
  const add = (op: string, inputs: string[], out: string, attrs?: Record<string, number>) => {
    graph.message(1, node(op, inputs, [out], `${out}_${op}`, attrs));
    return out;
  };
  const constant = (name: string, v: number) => {
    graph.message(5, scalar(name, v));
    return name;
  };
  // An fp16 graph's rows are cast up: the projection's weights stay float32, as the reference computes it.
  if (hiddenType === ElemType.FLOAT16) cur = add('Cast', [cur], `${P}_cast`, { to: ElemType.FLOAT });
  layers.forEach((l, k) => {
    const n = `${P}_${k}`;
    const input = cur;
    graph.message(
      5,
      tensor(`${n}_weight`, [l.inFeatures, l.outFeatures], transpose(l.weight, l.inFeatures, l.outFeatures)),
    );
    cur = add('MatMul', [cur, `${n}_weight`], `${n}_matmul`);
    if (l.bias) {
      graph.message(5, tensor(`${n}_bias`, [l.outFeatures], l.bias));
      cur = add('Add', [cur, `${n}_bias`], `${n}_biased`);
    }
    const x = cur;
    switch (l.activation) {
      case 'identity':
        break;
      case 'tanh':
        cur = add('Tanh', [x], `${n}_tanh`);
        break;
      case 'relu':
        cur = add('Relu', [x], `${n}_relu`);
        break;
      case 'sigmoid':
        cur = add('Sigmoid', [x], `${n}_sigmoid`);
        break;
      case 'silu':
        cur = add('Mul', [x, add('Sigmoid', [x], `${n}_sig`)], `${n}_silu`);
        break;
      case 'gelu': {
        // Exact GELU: 0.5 * x * (1 + erf(x / sqrt(2))), in ops every opset has.
        const e = add('Erf', [add('Mul', [x, constant(`${n}_rsqrt2`, Math.SQRT1_2)], `${n}_scaled`)], `${n}_erf`);
        cur = add(
          'Mul',
          [
            add('Mul', [x, add('Add', [e, constant(`${n}_one`, 1)], `${n}_1erf`)], `${n}_xp`),
            constant(`${n}_half`, 0.5),
          ],
          `${n}_gelu`,
        );
        break;
      }
      case 'gelu_tanh': {
        // 0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3)))
        const x3 = add('Mul', [add('Mul', [x, x], `${n}_x2`), x], `${n}_x3`);
        const inner = add(
          'Mul',
          [
            add('Add', [x, add('Mul', [x3, constant(`${n}_c`, 0.044715)], `${n}_cx3`)], `${n}_sum`),
            constant(`${n}_k`, Math.sqrt(2 / Math.PI)),
          ],
          `${n}_inner`,
        );
        const t = add('Add', [add('Tanh', [inner], `${n}_th`), constant(`${n}_one`, 1)], `${n}_1th`);
        cur = add('Mul', [add('Mul', [x, t], `${n}_xt`), constant(`${n}_half`, 0.5)], `${n}_gelu`);
        break;
      }
    }
    if (l.residual === 'identity') cur = add('Add', [cur, input], `${n}_residual`);
    else if (l.residual) {
      graph.message(
        5,
        tensor(`${n}_rweight`, [l.inFeatures, l.outFeatures], transpose(l.residual, l.inFeatures, l.outFeatures)),
      );
      cur = add('Add', [cur, add('MatMul', [input, `${n}_rweight`], `${n}_rmatmul`)], `${n}_residual`);
    }
  });
  const output = `${P}_output`;
  graph.message(1, node('Identity', [cur], [output], `${P}_Identity`));
  const tensorType = new Writer().varint(1, ElemType.FLOAT);
  const type = new Writer().message(1, tensorType);
  graph.message(12, new Writer().string(1, output).message(2, type));
  return { patch: new Writer().message(7, graph).finish(), output };
}
