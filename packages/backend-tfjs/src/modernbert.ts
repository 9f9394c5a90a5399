import type { DenseLayer, EncoderDescription, ModernBertConfig, PaddedBatch } from '@tessera/core';
import { readOut, type TfjsModel } from './encoder.js';
import type { Tf } from './engine.js';
import { Ops, ProjectionLayers } from './ops.js';

type Tensor = import('@tensorflow/tfjs-core').Tensor;

interface Layer {
  attnNorm: [Tensor, Tensor | undefined] | undefined;
  qkv: [Tensor, Tensor | undefined];
  o: [Tensor, Tensor | undefined];
  mlpNorm: [Tensor, Tensor | undefined];
  wi: [Tensor, Tensor | undefined];
  wo: [Tensor, Tensor | undefined];
  global: boolean;
}

/** cos and sin [L, dh] of rotary positions 0..L-1 for one base, in float32 steps as transformers computes them. */
function rotary(tf: Tf, L: number, dh: number, theta: number): [Tensor, Tensor] {
  const cos = new Float32Array(L * dh);
  const sin = new Float32Array(L * dh);
  for (let i = 0; i < dh / 2; i++) {
    const inv = Math.fround(1 / Math.fround(theta ** Math.fround((2 * i) / dh)));
    for (let p = 0; p < L; p++) {
      const f = Math.fround(p * inv);
      cos[p * dh + i] = cos[p * dh + i + dh / 2] = Math.cos(f);
      sin[p * dh + i] = sin[p * dh + i + dh / 2] = Math.sin(f);
    }
  }
  return [tf.tensor2d(cos, [L, dh]), tf.tensor2d(sin, [L, dh])];
}

/**
 * ModernBERT in tfjs ops: pre-norm layers, fused QKV, rotary positions (a base for global layers
 * and one for local ones), sliding-window attention on local layers, GeGLU feed-forward, and the
 * ColBERT projection after the final norm.
 */
export class TfjsModernBert implements TfjsModel {
  private readonly ops: Ops;
  private readonly word: Tensor;
  private readonly embNorm: [Tensor, Tensor | undefined];
  private readonly finalNorm: [Tensor, Tensor | undefined];
  private readonly layers: Layer[] = [];
  private readonly projection: ProjectionLayers;
  private readonly config: ModernBertConfig;

  constructor(tf: Tf, desc: EncoderDescription, projection: readonly DenseLayer[]) {
    if (desc.config.architecture !== 'modernbert')
      throw new Error(`TfjsModernBert runs ModernBERT weights, not ${desc.config.architecture}`);
    this.config = desc.config;
    const ops = (this.ops = new Ops(tf));
    const need = (name: string) => {
      const t = ops.tensor(desc.weights[name]);
      if (!t) throw new Error(`weight ${name} is missing`);
      return t;
    };
    const lin = (name: string): [Tensor, Tensor | undefined] => {
      const t = desc.weights[`${name}.weight`];
      if (!t) throw new Error(`weight ${name}.weight is missing`);
      return [ops.weightT(t.data, t.shape[0]!, t.shape[1]!), ops.tensor(desc.weights[`${name}.bias`])];
    };
    const norm = (name: string): [Tensor, Tensor | undefined] => [
      need(`${name}.weight`),
      ops.tensor(desc.weights[`${name}.bias`]),
    ];
    this.word = need('embeddings.word');
    this.embNorm = norm('embeddings.ln');
    this.finalNorm = norm('final_norm');
    desc.config.globalLayers.forEach((global, i) => {
      const p = `layer.${i}.`;
      this.layers.push({
        // The first layer has no attention norm (Identity in the reference).
        attnNorm: desc.weights[`${p}attn_norm.weight`] ? norm(`${p}attn_norm`) : undefined,
        qkv: lin(`${p}qkv`),
        o: lin(`${p}o`),
        mlpNorm: norm(`${p}mlp_norm`),
        wi: lin(`${p}wi`),
        wo: lin(`${p}wo`),
        global,
      });
    });
    this.projection = new ProjectionLayers(ops, projection);
  }

  get outputDim(): number {
    return this.projection.outputDim(this.word.shape[1]!);
  }

  forward(batch: PaddedBatch): Promise<Float32Array> {
    const ops = this.ops;
    const { tf } = ops;
    const { eps, heads: nh, window } = this.config;
    return readOut(tf, () => {
      const { batchSize: B, seqLen: L } = batch;
      const H = this.word.shape[1]!;
      const dh = H / nh;
      const keys = tf.cast(tf.reshape(tf.tensor2d(batch.attentionMask, [B, L], 'int32'), [B, 1, 1, L]), 'bool');
      const pos = tf.range(0, L, 1, 'int32');
      const inWindow = tf.reshape(tf.lessEqual(tf.abs(tf.sub(tf.expandDims(pos, 1), tf.expandDims(pos, 0))), window), [
        1,
        1,
        L,
        L,
      ]);
      const globalBias = ops.bias(keys);
      const localBias = ops.bias(tf.logicalAnd(keys, inWindow));
      const rot = {
        global: rotary(tf, L, dh, this.config.ropeThetaGlobal),
        local: rotary(tf, L, dh, this.config.ropeThetaLocal),
      };
      const rotate = (t: Tensor, [cos, sin]: [Tensor, Tensor]) => {
        const [a, b] = tf.split(t, 2, -1);
        return tf.add(tf.mul(t, cos), tf.mul(tf.concat([tf.neg(b!), a!], -1), sin));
      };
      let x = ops.layerNorm(
        tf.gather(this.word, tf.tensor2d(batch.inputIds, [B, L], 'int32')),
        this.embNorm[0],
        this.embNorm[1],
        eps,
      );
      for (const l of this.layers) {
        const input = x;
        x = tf.tidy(() => {
          const h = l.attnNorm ? ops.layerNorm(input, l.attnNorm[0], l.attnNorm[1], eps) : input;
          // [B, L, 3, nh, dh] -> three [B, nh, L, dh]
          const qkv = tf.transpose(tf.reshape(ops.linear(h, ...l.qkv), [B, L, 3, nh, dh]), [2, 0, 3, 1, 4]);
          const [q, k, v] = tf.unstack(qkv, 0);
          const r = l.global ? rot.global : rot.local;
          const ctx = ops.attend(
            rotate(q!, r),
            rotate(k!, r),
            v!,
            l.global ? globalBias : localBias,
            1 / Math.sqrt(dh),
          );
          const a = tf.add(input, ops.linear(tf.reshape(tf.transpose(ctx, [0, 2, 1, 3]), [B, L, H]), ...l.o));
          const [inp, gate] = tf.split(ops.linear(ops.layerNorm(a, l.mlpNorm[0], l.mlpNorm[1], eps), ...l.wi), 2, -1);
          return tf.add(a, ops.linear(tf.mul(ops.activate(inp!, this.config.hiddenAct), gate!), ...l.wo));
        });
        if (input !== x) input.dispose();
      }
      return this.projection.apply(ops.layerNorm(x, this.finalNorm[0], this.finalNorm[1], eps));
    });
  }

  dispose(): void {
    this.ops.dispose();
  }
}
