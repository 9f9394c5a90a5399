import type { BertFamilyConfig, DenseLayer, EncoderDescription, PaddedBatch } from '@tessera/core';
import type { Tf } from './engine.js';
import { Ops, ProjectionLayers } from './ops.js';

type Tensor = import('@tensorflow/tfjs-core').Tensor;
type Pair = [Tensor, Tensor | undefined];

/** What the backend needs of an encoder: rows of every position, projected, and dispose. */
export interface TfjsModel {
  readonly outputDim: number;
  forward(batch: PaddedBatch): Promise<Float32Array>;
  dispose(): void;
}

/** Runs a graph of tfjs ops in one tidy and reads the result out (no tensors outlive the call). */
export async function readOut(tf: Tf, build: () => Tensor): Promise<Float32Array> {
  const out = tf.tidy(build);
  try {
    return (await out.data()) as Float32Array;
  } finally {
    out.dispose();
  }
}

interface Layer {
  q: Pair;
  k: Pair;
  v: Pair;
  o: Pair;
  ln1: Pair;
  ff1: Pair;
  ff2: Pair;
  ln2: Pair;
}

/** A BERT-family encoder (BERT, DistilBERT, RoBERTa / XLM-RoBERTa positions) and the ColBERT projection, in tfjs ops. */
export class TfjsEncoder implements TfjsModel {
  private readonly ops: Ops;
  private readonly word: Tensor;
  private readonly position: Tensor;
  private readonly tokenType: Tensor | undefined;
  private readonly embLn: Pair;
  private readonly layers: Layer[] = [];
  private readonly projection: ProjectionLayers;
  private readonly config: BertFamilyConfig;

  constructor(tf: Tf, desc: EncoderDescription, projection: readonly DenseLayer[]) {
    if (desc.config.architecture !== 'bert')
      throw new Error(`TfjsEncoder runs BERT-family weights, not ${desc.config.architecture}`);
    this.config = desc.config;
    const ops = (this.ops = new Ops(tf));
    const w = (name: string) => {
      const t = ops.tensor(desc.weights[name]);
      if (!t) throw new Error(`weight ${name} is missing`);
      return t;
    };
    const lin = (name: string): Pair => {
      const t = desc.weights[`${name}.weight`]!;
      return [ops.weightT(t.data, t.shape[0]!, t.shape[1]!), w(`${name}.bias`)];
    };
    this.word = w('embeddings.word');
    this.position = w('embeddings.position');
    this.tokenType = ops.tensor(desc.weights['embeddings.token_type']);
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
    this.projection = new ProjectionLayers(ops, projection);
  }

  get outputDim(): number {
    return this.projection.outputDim(this.word.shape[1]!);
  }

  forward(batch: PaddedBatch): Promise<Float32Array> {
    const { tf } = this.ops;
    const ops = this.ops;
    const { eps, heads: nh, padId } = this.config;
    return readOut(tf, () => {
      const { batchSize: B, seqLen: L } = batch;
      const H = this.word.shape[1]!;
      const dh = H / nh;
      const ids = tf.tensor2d(batch.inputIds, [B, L], 'int32');
      let positions: Tensor;
      if (this.config.paddingPositions) {
        const notPad = tf.cast(tf.notEqual(ids, tf.scalar(padId, 'int32')), 'int32');
        positions = tf.add(tf.mul(tf.cumsum(notPad, 1), notPad), tf.scalar(padId, 'int32'));
      } else positions = tf.tile(tf.expandDims(tf.range(0, L, 1, 'int32'), 0), [B, 1]);
      let x = tf.add(tf.gather(this.word, ids), tf.gather(this.position, positions));
      if (this.tokenType) x = tf.add(x, tf.gather(this.tokenType, tf.tensor2d(batch.tokenTypeIds, [B, L], 'int32')));
      x = ops.layerNorm(x, this.embLn[0], this.embLn[1], eps);
      const bias = ops.bias(tf.reshape(tf.tensor2d(batch.attentionMask, [B, L], 'int32'), [B, 1, 1, L]));
      const heads = (t: Tensor) => tf.transpose(tf.reshape(t, [B, L, nh, dh]), [0, 2, 1, 3]);
      for (const l of this.layers) {
        const input = x;
        // A tidy per layer frees its intermediates (attention scores, feed-forward) before the next.
        x = tf.tidy(() => {
          const ctx = tf.reshape(
            tf.transpose(
              ops.attend(
                heads(ops.linear(input, ...l.q)),
                heads(ops.linear(input, ...l.k)),
                heads(ops.linear(input, ...l.v)),
                bias,
                1 / Math.sqrt(dh),
              ),
              [0, 2, 1, 3],
            ),
            [B, L, H],
          );
          const a = ops.layerNorm(tf.add(ops.linear(ctx, ...l.o), input), l.ln1[0], l.ln1[1], eps);
          const f = ops.activate(ops.linear(a, ...l.ff1), this.config.hiddenAct);
          return ops.layerNorm(tf.add(ops.linear(f, ...l.ff2), a), l.ln2[0], l.ln2[1], eps);
        });
        if (input !== x) input.dispose();
      }
      return this.projection.apply(x);
    });
  }

  dispose(): void {
    this.ops.dispose();
  }
}
