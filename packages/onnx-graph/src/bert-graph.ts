import type { BertFamilyConfig, Tensor32 } from '@tessera/core/browser';
import { elemType } from './graph-builder.js';
import type { GraphLayers } from './layers.js';

/** The most negative float32: what transformers adds to a masked key's attention score. */
export const MASKED = -3.4028234663852886e38;

/**
 * A BERT-family encoder (BERT, DistilBERT, RoBERTa, XLM-RoBERTa: one post-norm layer shape) from
 * core's canonical weights, reading inputs input_ids, attention_mask (and token_type_ids when the
 * checkpoint has several token types); returns the name of the [batch, sequence, hidden] states.
 */
export function bertEncoder(
  L: GraphLayers,
  config: BertFamilyConfig,
  weights: Record<string, Tensor32>,
  has: (input: string) => void,
): string {
  const { g } = L;
  const w = (name: string) => weights[name]!;
  const word = w('embeddings.word');
  const H = word.shape[1]!;
  const dh = H / config.heads;

  let positions: string;
  if (config.paddingPositions) {
    // RoBERTa: a token's position is padId + its count among the non-pad tokens so far; a pad gets padId.
    const notPad = g.node('Cast', [g.node('Not', [g.node('Equal', ['input_ids', L.ints([config.padId], true)])])], {
      to: { int: elemType('int64') },
    });
    const counted = g.node('Mul', [g.node('CumSum', [notPad, L.ints([1], true)]), notPad]);
    positions = g.node('Add', [counted, L.ints([config.padId], true)]);
  } else {
    const seq = g.node('Gather', [g.node('Shape', ['input_ids']), L.ints([1], true)], { axis: { int: 0 } });
    positions = g.node('Range', [L.ints([0], true), seq, L.ints([1], true)]);
  }
  let x = g.node('Add', [
    g.node('Gather', [L.weight('embeddings.word', word), 'input_ids']),
    g.node('Gather', [L.weight('embeddings.position', w('embeddings.position')), positions]),
  ]);
  const tokenType = weights['embeddings.token_type'];
  if (tokenType && tokenType.shape[0]! > 1) {
    has('token_type_ids');
    x = g.node('Add', [x, g.node('Gather', [L.weight('embeddings.token_type', tokenType), 'token_type_ids'])]);
  } else if (tokenType) {
    // One token type (RoBERTa): its row is added to every position; no input needed.
    x = g.node('Add', [x, L.weight('embeddings.token_type_row', { data: tokenType.data, shape: [H] })]);
  }
  x = L.layerNorm(x, 'embeddings.ln', w('embeddings.ln.weight'), w('embeddings.ln.bias'), config.eps);

  const maskF = g.node('Cast', ['attention_mask'], { to: { int: elemType('float32') } });
  const bias = g.node('Unsqueeze', [
    g.node('Mul', [g.node('Sub', [L.scalar(1), maskF]), L.scalar(MASKED)]),
    L.ints([1, 2]),
  ]);
  const headsShape = L.ints([0, 0, config.heads, dh]);
  const hiddenShape = L.ints([0, 0, H]);
  const scale = L.scalar(1 / Math.sqrt(dh));
  for (let i = 0; i < config.layers; i++) {
    const p = `layer.${i}.`;
    const lin = (input: string, name: string) =>
      L.linear(input, `${p}${name}`, w(`${p}${name}.weight`), weights[`${p}${name}.bias`]);
    const heads = (t: string, perm: number[]) =>
      g.node('Transpose', [g.node('Reshape', [t, headsShape])], { perm: { ints: perm } });
    const q = heads(lin(x, 'q'), [0, 2, 1, 3]);
    const k = heads(lin(x, 'k'), [0, 2, 3, 1]);
    const v = heads(lin(x, 'v'), [0, 2, 1, 3]);
    const scores = g.node('Add', [g.node('Mul', [g.node('MatMul', [q, k]), scale]), bias]);
    const probs = g.node('Softmax', [scores], { axis: { int: -1 } });
    const merged = g.node('Transpose', [g.node('MatMul', [probs, v])], { perm: { ints: [0, 2, 1, 3] } });
    const ctx = g.node('Reshape', [merged, hiddenShape]);
    const a = L.layerNorm(
      g.node('Add', [lin(ctx, 'o'), x]),
      `${p}ln1`,
      w(`${p}ln1.weight`),
      w(`${p}ln1.bias`),
      config.eps,
    );
    const f = L.activate(lin(a, 'ff1'), config.hiddenAct);
    x = L.layerNorm(g.node('Add', [lin(f, 'ff2'), a]), `${p}ln2`, w(`${p}ln2.weight`), w(`${p}ln2.bias`), config.eps);
  }
  return x;
}
