import type { ModernBertConfig, Tensor32 } from '@tessera/core/browser';
import { elemType } from './graph-builder.js';
import { MASKED } from './bert-graph.js';
import type { GraphLayers } from './layers.js';

/** Rotary inverse frequencies 1 / θ^(2i/dh), in float32 steps as transformers computes them. */
function inverseFrequencies(theta: number, dh: number): Float32Array {
  const inv = new Float32Array(dh / 2);
  for (let i = 0; i < dh / 2; i++) inv[i] = Math.fround(1 / Math.fround(theta ** Math.fround((2 * i) / dh)));
  return inv;
}

/**
 * ModernBERT from core's canonical weights: pre-norm layers, fused QKV, rotary positions (one base
 * for global layers, one for local ones), sliding-window attention on local layers, GeGLU
 * feed-forward, and the final norm. Returns the name of the [batch, sequence, hidden] states.
 */
export function modernBertEncoder(L: GraphLayers, config: ModernBertConfig, weights: Record<string, Tensor32>): string {
  const { g } = L;
  const w = (name: string) => weights[name]!;
  const word = w('embeddings.word');
  const H = word.shape[1]!;
  const dh = H / config.heads;
  const f32 = { to: { int: elemType('float32') } };

  // Positions 0..L-1 of this batch, as int64 and float32.
  const seq = g.node('Gather', [g.node('Shape', ['input_ids']), L.ints([1], true)], { axis: { int: 0 } });
  const pos = g.node('Range', [L.ints([0], true), seq, L.ints([1], true)]);
  const posF = g.node('Cast', [pos], f32);

  // cos and sin [L, dh] for each rotary base: freqs = pos ⊗ inv, repeated for the two halves.
  const rotary = (theta: number, name: string): [string, string] => {
    const inv = g.initializer(`rope_${name}_inv_freq`, 'float32', [1, dh / 2], inverseFrequencies(theta, dh));
    const freqs = g.node('MatMul', [g.node('Unsqueeze', [posF, L.ints([1])]), inv]);
    const emb = g.node('Concat', [freqs, freqs], { axis: { int: -1 } });
    return [g.node('Cos', [emb]), g.node('Sin', [emb])];
  };
  const rope = { global: rotary(config.ropeThetaGlobal, 'global'), local: rotary(config.ropeThetaLocal, 'local') };
  const halves = L.ints([dh / 2, dh / 2]);
  const rotate = (t: string, [cos, sin]: [string, string]) => {
    const [a, b] = [`${t}_a`, `${t}_b`];
    g.node('Split', [t, halves], { axis: { int: -1 } }, [a, b]);
    const turned = g.node('Concat', [g.node('Neg', [b]), a], { axis: { int: -1 } });
    return g.node('Add', [g.node('Mul', [t, cos]), g.node('Mul', [turned, sin])]);
  };

  // Additive masks [B, 1, 1|L, L]: padding keys for global layers, and keys beyond the window for local ones.
  const keys = g.node('Unsqueeze', [g.node('Cast', ['attention_mask'], f32), L.ints([1, 2])]);
  const toBias = (allowed: string) => g.node('Mul', [g.node('Sub', [L.scalar(1), allowed]), L.scalar(MASKED)]);
  const distance = g.node('Abs', [
    g.node('Sub', [g.node('Unsqueeze', [pos, L.ints([1])]), g.node('Unsqueeze', [pos, L.ints([0])])]),
  ]);
  const inWindow = g.node('Cast', [g.node('LessOrEqual', [distance, L.ints([config.window], true)])], f32);
  const globalBias = toBias(keys);
  const localBias = toBias(g.node('Mul', [keys, inWindow]));

  const norm = (x: string, name: string) =>
    L.layerNorm(x, name, w(`${name}.weight`), weights[`${name}.bias`], config.eps);
  const headsShape = L.ints([0, 0, config.heads, dh]);
  const hiddenShape = L.ints([0, 0, H]);
  const scale = L.scalar(1 / Math.sqrt(dh));
  const thirds = L.ints([H, H, H]);
  const intermediate = w('layer.0.wi.weight').shape[0]! / 2;
  const gateHalves = L.ints([intermediate, intermediate]);

  let x = norm(g.node('Gather', [L.weight('embeddings.word', word), 'input_ids']), 'embeddings.ln');
  config.globalLayers.forEach((global, i) => {
    const p = `layer.${i}.`;
    const lin = (input: string, name: string) =>
      L.linear(input, `${p}${name}`, w(`${p}${name}.weight`), weights[`${p}${name}.bias`]);
    // The first layer has no attention norm (Identity in the reference).
    const h = weights[`${p}attn_norm.weight`] ? norm(x, `${p}attn_norm`) : x;
    const [q, k, v] = [`${p}q`, `${p}k`, `${p}v`];
    g.node('Split', [lin(h, 'qkv'), thirds], { axis: { int: -1 } }, [q, k, v]);
    const heads = (t: string) =>
      g.node('Transpose', [g.node('Reshape', [t, headsShape])], { perm: { ints: [0, 2, 1, 3] } });
    const r = global ? rope.global : rope.local;
    const qr = rotate(heads(q), r);
    const kr = g.node('Transpose', [rotate(heads(k), r)], { perm: { ints: [0, 1, 3, 2] } });
    const scores = g.node('Add', [g.node('Mul', [g.node('MatMul', [qr, kr]), scale]), global ? globalBias : localBias]);
    const probs = g.node('Softmax', [scores], { axis: { int: -1 } });
    const merged = g.node('Transpose', [g.node('MatMul', [probs, heads(v)])], { perm: { ints: [0, 2, 1, 3] } });
    const a = g.node('Add', [x, lin(g.node('Reshape', [merged, hiddenShape]), 'o')]);
    const [input, gate] = [`${p}mlp_in`, `${p}mlp_gate`];
    g.node('Split', [lin(norm(a, `${p}mlp_norm`), 'wi'), gateHalves], { axis: { int: -1 } }, [input, gate]);
    x = g.node('Add', [a, lin(g.node('Mul', [L.activate(input, config.hiddenAct), gate]), 'wo')]);
  });
  return norm(x, 'final_norm');
}
