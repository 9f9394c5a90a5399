import { elemType, OnnxGraph } from '@tessera/backend-onnx';

/** BERT weights under their Hugging Face names (without the "bert." prefix), PyTorch [out, in] layout. */
export type BertWeights = Map<string, { shape: number[]; data: Float32Array }>;

export interface BertShape {
  hidden: number;
  layers: number;
  heads: number;
  eps: number;
}

const i64 = (values: number[]) => BigInt64Array.from(values, (v) => BigInt(v));

/**
 * The ONNX graph (opset 17) of a BERT encoder with inputs input_ids, attention_mask and
 * token_type_ids and output last_hidden_state, as transformers' exporters produce it.
 */
export function bertOnnx(weights: BertWeights, shape: BertShape): Uint8Array {
  const g = new OnnxGraph('bert', 17, 'tessera-bench');
  const W = (name: string) => {
    const t = weights.get(name);
    if (!t) throw new Error(`missing weight ${name}`);
    return t;
  };
  const init = (name: string, t: { shape: number[]; data: Float32Array }) =>
    g.initializer(name, 'float32', t.shape, t.data);
  /** Linear weights transposed to [in, out] for MatMul. */
  const linear = (x: string, name: string) => {
    const t = W(`${name}.weight`);
    const [out, inn] = t.shape as [number, number];
    const tr = new Float32Array(inn * out);
    for (let o = 0; o < out; o++) for (let i = 0; i < inn; i++) tr[i * out + o] = t.data[o * inn + i]!;
    const w = init(`${name}.weight_t`, { shape: [inn, out], data: tr });
    const b = init(`${name}.bias`, W(`${name}.bias`));
    return g.node('Add', [g.node('MatMul', [x, w]), b]);
  };
  const layerNorm = (x: string, name: string) =>
    g.node(
      'LayerNormalization',
      [x, init(`${name}.weight`, W(`${name}.weight`)), init(`${name}.bias`, W(`${name}.bias`))],
      {
        axis: { int: -1 },
        epsilon: { float: shape.eps },
      },
    );
  const H = shape.hidden;
  const dh = H / shape.heads;
  for (const name of ['input_ids', 'attention_mask', 'token_type_ids']) g.input(name, 'int64', ['batch', 'sequence']);
  const one = g.initializer('c_one_i', 'int64', [], i64([1]));
  const zero = g.initializer('c_zero_i', 'int64', [], i64([0]));
  const axes12 = g.initializer('c_axes12', 'int64', [2], i64([1, 2]));
  const headsShape = g.initializer('c_heads_shape', 'int64', [4], i64([0, 0, shape.heads, dh]));
  const hiddenShape = g.initializer('c_hidden_shape', 'int64', [3], i64([0, 0, H]));
  const scalar = (name: string, v: number) => g.initializer(name, 'float32', [], Float32Array.of(v));
  const oneF = scalar('c_one', 1);
  const half = scalar('c_half', 0.5);
  const rsqrt2 = scalar('c_rsqrt2', Math.SQRT1_2);
  const neg = scalar('c_neg', -3.4028234663852886e38);
  const scale = scalar('c_scale', 1 / Math.sqrt(dh));

  const word = init('word', W('embeddings.word_embeddings.weight'));
  const position = init('position', W('embeddings.position_embeddings.weight'));
  const tokenType = init('token_type', W('embeddings.token_type_embeddings.weight'));
  const seq = g.node('Gather', [g.node('Shape', ['input_ids']), one], { axis: { int: 0 } });
  const positions = g.node('Range', [zero, seq, one]);
  let x = g.node('Add', [
    g.node('Add', [g.node('Gather', [word, 'input_ids']), g.node('Gather', [position, positions])]),
    g.node('Gather', [tokenType, 'token_type_ids']),
  ]);
  x = layerNorm(x, 'embeddings.LayerNorm');
  const maskF = g.node('Cast', ['attention_mask'], { to: { int: elemType('float32') } });
  const bias = g.node('Unsqueeze', [g.node('Mul', [g.node('Sub', [oneF, maskF]), neg]), axes12]);
  for (let l = 0; l < shape.layers; l++) {
    const p = `encoder.layer.${l}.`;
    const heads = (t: string, perm: number[]) =>
      g.node('Transpose', [g.node('Reshape', [t, headsShape])], { perm: { ints: perm } });
    const q = heads(linear(x, `${p}attention.self.query`), [0, 2, 1, 3]);
    const k = heads(linear(x, `${p}attention.self.key`), [0, 2, 3, 1]);
    const v = heads(linear(x, `${p}attention.self.value`), [0, 2, 1, 3]);
    const scores = g.node('Add', [g.node('Mul', [g.node('MatMul', [q, k]), scale]), bias]);
    const probs = g.node('Softmax', [scores], { axis: { int: -1 } });
    const merged = g.node('Transpose', [g.node('MatMul', [probs, v])], { perm: { ints: [0, 2, 1, 3] } });
    const ctx = g.node('Reshape', [merged, hiddenShape]);
    const a = layerNorm(
      g.node('Add', [linear(ctx, `${p}attention.output.dense`), x]),
      `${p}attention.output.LayerNorm`,
    );
    const f = linear(a, `${p}intermediate.dense`);
    const erf = g.node('Erf', [g.node('Mul', [f, rsqrt2])]);
    const gelu = g.node('Mul', [g.node('Mul', [f, g.node('Add', [erf, oneF])]), half]);
    x = layerNorm(g.node('Add', [linear(gelu, `${p}output.dense`), a]), `${p}output.LayerNorm`);
  }
  g.node('Identity', [x], {}, ['last_hidden_state']);
  g.output('last_hidden_state', 'float32', ['batch', 'sequence', H]);
  return g.toBytes();
}
