import { ElemType, Writer } from '@tessera/backend-onnx';

/** BERT weights under their Hugging Face names (without the "bert." prefix), PyTorch [out, in] layout. */
export type BertWeights = Map<string, { shape: number[]; data: Float32Array }>;

export interface BertShape {
  hidden: number;
  layers: number;
  heads: number;
  eps: number;
}

const INT64 = ElemType.INT64;

function tensor(name: string, dims: number[], type: number, raw: Uint8Array): Writer {
  const w = new Writer();
  for (const d of dims) w.varint(1, d);
  return w.varint(2, type).string(8, name).bytes(9, raw);
}

const f32 = (name: string, dims: number[], data: Float32Array) =>
  tensor(name, dims, ElemType.FLOAT, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
const i64 = (name: string, values: number[]) =>
  tensor(name, [values.length], INT64, new Uint8Array(BigInt64Array.from(values, (v) => BigInt(v)).buffer));
const i64Scalar = (name: string, v: number) =>
  tensor(name, [], INT64, new Uint8Array(BigInt64Array.of(BigInt(v)).buffer));

function valueInfo(name: string, type: number, dims: Array<number | string>): Writer {
  const shape = new Writer();
  for (const d of dims) shape.message(1, typeof d === 'number' ? new Writer().varint(1, d) : new Writer().string(2, d));
  const tensorType = new Writer().varint(1, type).message(2, shape);
  return new Writer().string(1, name).message(2, new Writer().message(1, tensorType));
}

/**
 * The ONNX graph (opset 17) of a BERT encoder with inputs input_ids, attention_mask and
 * token_type_ids and output last_hidden_state, as transformers' exporters produce it.
 */
export function bertOnnx(weights: BertWeights, shape: BertShape): Uint8Array {
  const g = new Writer();
  let n = 0;
  const node = (
    op: string,
    inputs: string[],
    attrs: Array<[string, 'int' | 'float' | 'ints', number | number[]]> = [],
  ): string => {
    const out = `${op.toLowerCase()}_${n++}`;
    const w = new Writer();
    for (const i of inputs) w.string(1, i);
    w.string(2, out).string(3, out).string(4, op);
    for (const [name, kind, value] of attrs) {
      const a = new Writer().string(1, name);
      if (kind === 'int') a.varint(3, value as number).varint(20, 2);
      else if (kind === 'float') a.float32(2, value as number).varint(20, 1);
      else {
        for (const v of value as number[]) a.varint(8, v);
        a.varint(20, 7);
      }
      w.message(5, a);
    }
    g.message(1, w);
    return out;
  };
  const W = (name: string) => {
    const t = weights.get(name);
    if (!t) throw new Error(`missing weight ${name}`);
    return t;
  };
  const init = (name: string, t: { shape: number[]; data: Float32Array }) => {
    g.message(5, f32(name, t.shape, t.data));
    return name;
  };
  /** Linear weights transposed to [in, out] for MatMul. */
  const linear = (x: string, name: string) => {
    const t = W(`${name}.weight`);
    const [out, inn] = t.shape as [number, number];
    const tr = new Float32Array(inn * out);
    for (let o = 0; o < out; o++) for (let i = 0; i < inn; i++) tr[i * out + o] = t.data[o * inn + i]!;
    init(`${name}.weight_t`, { shape: [inn, out], data: tr });
    init(`${name}.bias`, W(`${name}.bias`));
    return node('Add', [node('MatMul', [x, `${name}.weight_t`]), `${name}.bias`]);
  };
  const layerNorm = (x: string, name: string) => {
    init(`${name}.weight`, W(`${name}.weight`));
    init(`${name}.bias`, W(`${name}.bias`));
    return node(
      'LayerNormalization',
      [x, `${name}.weight`, `${name}.bias`],
      [
        ['axis', 'int', -1],
        ['epsilon', 'float', shape.eps],
      ],
    );
  };
  const H = shape.hidden;
  const dh = H / shape.heads;
  g.message(5, i64Scalar('c_one_i', 1));
  g.message(5, i64Scalar('c_zero_i', 0));
  g.message(5, i64('c_axes12', [1, 2]));
  g.message(5, i64('c_heads_shape', [0, 0, shape.heads, dh]));
  g.message(5, i64('c_hidden_shape', [0, 0, H]));
  for (const [name, v] of [
    ['c_one', 1],
    ['c_half', 0.5],
    ['c_rsqrt2', Math.SQRT1_2],
    ['c_neg', -3.4028234663852886e38],
    ['c_scale', 1 / Math.sqrt(dh)],
  ] as const)
    g.message(5, f32(name, [], Float32Array.of(v)));

  init('word', W('embeddings.word_embeddings.weight'));
  init('position', W('embeddings.position_embeddings.weight'));
  init('token_type', W('embeddings.token_type_embeddings.weight'));
  const seq = node('Gather', [node('Shape', ['input_ids']), 'c_one_i'], [['axis', 'int', 0]]);
  const positions = node('Range', ['c_zero_i', seq, 'c_one_i']);
  let x = node('Add', [
    node('Add', [node('Gather', ['word', 'input_ids']), node('Gather', ['position', positions])]),
    node('Gather', ['token_type', 'token_type_ids']),
  ]);
  x = layerNorm(x, 'embeddings.LayerNorm');
  const maskF = node('Cast', ['attention_mask'], [['to', 'int', ElemType.FLOAT]]);
  const bias = node('Unsqueeze', [node('Mul', [node('Sub', ['c_one', maskF]), 'c_neg']), 'c_axes12']);
  for (let l = 0; l < shape.layers; l++) {
    const p = `encoder.layer.${l}.`;
    const heads = (t: string, perm: number[]) =>
      node('Transpose', [node('Reshape', [t, 'c_heads_shape'])], [['perm', 'ints', perm]]);
    const q = heads(linear(x, `${p}attention.self.query`), [0, 2, 1, 3]);
    const k = heads(linear(x, `${p}attention.self.key`), [0, 2, 3, 1]);
    const v = heads(linear(x, `${p}attention.self.value`), [0, 2, 1, 3]);
    const scores = node('Add', [node('Mul', [node('MatMul', [q, k]), 'c_scale']), bias]);
    const ctx = node('Reshape', [
      node(
        'Transpose',
        [node('MatMul', [node('Softmax', [scores], [['axis', 'int', -1]]), v])],
        [['perm', 'ints', [0, 2, 1, 3]]],
      ),
      'c_hidden_shape',
    ]);
    const a = layerNorm(node('Add', [linear(ctx, `${p}attention.output.dense`), x]), `${p}attention.output.LayerNorm`);
    const f = linear(a, `${p}intermediate.dense`);
    const gelu = node('Mul', [
      node('Mul', [f, node('Add', [node('Erf', [node('Mul', [f, 'c_rsqrt2'])]), 'c_one'])]),
      'c_half',
    ]);
    x = layerNorm(node('Add', [linear(gelu, `${p}output.dense`), a]), `${p}output.LayerNorm`);
  }
  g.message(1, new Writer().string(1, x).string(2, 'last_hidden_state').string(3, 'output').string(4, 'Identity'));
  for (const name of ['input_ids', 'attention_mask', 'token_type_ids'])
    g.message(11, valueInfo(name, INT64, ['batch', 'sequence']));
  g.message(12, valueInfo('last_hidden_state', ElemType.FLOAT, ['batch', 'sequence', H]));
  g.string(2, 'bert');
  return new Writer()
    .varint(1, 8)
    .string(2, 'tessera-bench')
    .message(7, g)
    .message(8, new Writer().string(1, '').varint(2, 17))
    .finish();
}
