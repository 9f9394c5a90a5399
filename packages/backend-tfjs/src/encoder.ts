import type { EncoderDescription, DenseLayer, PaddedBatch } from '@tessera/core';
import type { Tf } from './engine.js';

type Tensor = import('@tensorflow/tfjs-core').Tensor;

interface Layer {
  q: [Tensor, Tensor];
  k: [Tensor, Tensor];
  v: [Tensor, Tensor];
  o: [Tensor, Tensor];
  ln1: [Tensor, Tensor];
  ff1: [Tensor, Tensor];
  ff2: [Tensor, Tensor];
  ln2: [Tensor, Tensor];
}

/** A BERT-family encoder and the ColBERT projection written with tfjs ops. */
export class TfjsEncoder {
  private readonly tensors: Tensor[] = [];
  private readonly word: Tensor;
  private readonly position: Tensor;
  private readonly tokenType: Tensor | undefined;
  private readonly embLn: [Tensor, Tensor];
  private readonly layers: Layer[] = [];
  private readonly projection: Array<{ w: Tensor; b: Tensor | undefined; activation: DenseLayer['activation'] }>;
  private readonly hasErf: boolean;

  constructor(
    private readonly tf: Tf,
    private readonly desc: EncoderDescription,
    projection: readonly DenseLayer[],
  ) {
    const keep = (t: Tensor) => {
      this.tensors.push(t);
      return t;
    };
    const w = (name: string) => {
      const t = desc.weights[name];
      if (!t) throw new Error(`weight ${name} is missing`);
      return keep(tf.tensor(t.data, t.shape, 'float32'));
    };
    // Linear weights are stored transposed once, [in, out], so each call is a plain matMul.
    const lin = (name: string): [Tensor, Tensor] => {
      const t = desc.weights[`${name}.weight`]!;
      return [keep(tf.tidy(() => tf.transpose(tf.tensor2d(t.data, t.shape as [number, number])))), w(`${name}.bias`)];
    };
    this.word = w('embeddings.word');
    this.position = w('embeddings.position');
    this.tokenType = desc.weights['embeddings.token_type'] ? w('embeddings.token_type') : undefined;
    this.embLn = [w('embeddings.ln.weight'), w('embeddings.ln.bias')];
    for (let i = 0; i < desc.config.layers; i++) {
      const p = `layer.${i}.`;
      this.layers.push({
        q: lin(`${p}q`),
        k: lin(`${p}k`),
        v: lin(`${p}v`),
        o: lin(`${p}o`),
        ln1: [w(`${p}ln1.weight`), w(`${p}ln1.bias`)],
        ff1: lin(`${p}ff1`),
        ff2: lin(`${p}ff2`),
        ln2: [w(`${p}ln2.weight`), w(`${p}ln2.bias`)],
      });
    }
    this.projection = projection.map((l) => ({
      w: keep(tf.tidy(() => tf.transpose(tf.tensor2d(l.weight, [l.outFeatures, l.inFeatures])))),
      b: l.bias ? keep(tf.tensor1d(l.bias)) : undefined,
      activation: l.activation,
    }));
    this.hasErf = !!tf.getKernel('Erf', tf.getBackend());
  }

  get outputDim(): number {
    return this.projection.length ? this.projection[this.projection.length - 1]!.w.shape[1]! : this.word.shape[1]!;
  }

  /** erf with the engine's kernel where it has one, else Abramowitz-Stegun 7.1.26 (error < 1.5e-7). */
  private erf(x: Tensor): Tensor {
    const tf = this.tf;
    if (this.hasErf) return tf.erf(x);
    const s = tf.sign(x);
    const a = tf.abs(x);
    const t = tf.div(1, tf.add(1, tf.mul(0.3275911, a)));
    const poly = tf.mul(t, tf.add(0.254829592, tf.mul(t, tf.add(-0.284496736, tf.mul(t, tf.add(1.421413741, tf.mul(t, tf.add(-1.453152027, tf.mul(t, 1.061405429)))))))));
    return tf.mul(s, tf.sub(1, tf.mul(poly, tf.exp(tf.neg(tf.square(a))))));
  }

  private activate(x: Tensor, a: DenseLayer['activation']): Tensor {
    const tf = this.tf;
    switch (a) {
      case 'identity':
        return x;
      case 'tanh':
        return tf.tanh(x);
      case 'relu':
        return tf.relu(x);
      case 'sigmoid':
        return tf.sigmoid(x);
      case 'gelu':
        // Exact GELU, as the checkpoints' hidden_act "gelu" means (the tanh form moves MaxSim by ~1e-3).
        return tf.mul(tf.mul(x, 0.5), tf.add(1, this.erf(tf.mul(x, Math.SQRT1_2))));
    }
  }

  private layerNorm(x: Tensor, [g, b]: [Tensor, Tensor]): Tensor {
    const tf = this.tf;
    const { mean, variance } = tf.moments(x, -1, true);
    return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, this.desc.config.eps))), g), b);
  }

  private linear(x: Tensor, [w, b]: [Tensor, Tensor | undefined]): Tensor {
    const tf = this.tf;
    const [n, inF] = [x.size / x.shape[x.shape.length - 1]!, x.shape[x.shape.length - 1]!];
    const y = tf.matMul(tf.reshape(x, [n, inF]), w as import('@tensorflow/tfjs-core').Tensor2D);
    return tf.reshape(b ? tf.add(y, b) : y, [...x.shape.slice(0, -1), w.shape[1]!]);
  }

  /** Rows of every position, projected, as one Float32Array (no tensors outlive the call). */
  async forward(batch: PaddedBatch): Promise<Float32Array> {
    const tf = this.tf;
    const out = tf.tidy(() => {
      const { batchSize: B, seqLen: L } = batch;
      const H = this.word.shape[1]!;
      const nh = this.desc.config.heads;
      const dh = H / nh;
      const ids = tf.tensor2d(batch.inputIds, [B, L], 'int32');
      const mask = tf.tensor2d(batch.attentionMask, [B, L], 'int32');
      let positions: Tensor;
      if (this.desc.config.paddingPositions) {
        const notPad = tf.cast(tf.notEqual(ids, tf.scalar(this.desc.config.padId, 'int32')), 'int32');
        positions = tf.add(tf.mul(tf.cumsum(notPad, 1), notPad), tf.scalar(this.desc.config.padId, 'int32'));
      } else positions = tf.tile(tf.expandDims(tf.range(0, L, 1, "int32"), 0), [B, 1]);
      let x = tf.add(tf.gather(this.word, ids), tf.gather(this.position, positions));
      if (this.tokenType) x = tf.add(x, tf.gather(this.tokenType, tf.tensor2d(batch.tokenTypeIds, [B, L], 'int32')));
      x = this.layerNorm(x, this.embLn);
      // Masked keys get a large negative bias: zero weight after softmax.
      const bias = tf.reshape(tf.mul(tf.sub(1, tf.cast(mask, 'float32')), -1e9), [B, 1, 1, L]);
      const heads = (t: Tensor) => tf.transpose(tf.reshape(t, [B, L, nh, dh]), [0, 2, 1, 3]);
      for (const l of this.layers) {
        const input = x;
        // A tidy per layer frees its intermediates (attention scores, feed-forward) before the next.
        x = tf.tidy(() => {
          const q = heads(this.linear(input, l.q));
          const k = heads(this.linear(input, l.k));
          const v = heads(this.linear(input, l.v));
          const scores = tf.add(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(dh)), bias);
          const ctx = tf.reshape(tf.transpose(tf.matMul(tf.softmax(scores, -1), v), [0, 2, 1, 3]), [B, L, H]);
          const a = this.layerNorm(tf.add(this.linear(ctx, l.o), input), l.ln1);
          const f = this.activate(this.linear(a, l.ff1), this.desc.config.hiddenAct);
          return this.layerNorm(tf.add(this.linear(f, l.ff2), a), l.ln2);
        });
        if (input !== x) input.dispose();
      }
      for (const p of this.projection) x = this.activate(this.linear(x, [p.w, p.b]), p.activation);
      return x;
    });
    try {
      return (await out.data()) as Float32Array;
    } finally {
      out.dispose();
    }
  }

  dispose(): void {
    for (const t of this.tensors) t.dispose();
    this.tensors.length = 0;
  }
}
