import type { DenseLayer } from '@tessera/core';
import type { Tf } from './engine.js';

type Tensor = import('@tensorflow/tfjs-core').Tensor;
type Tensor2D = import('@tensorflow/tfjs-core').Tensor2D;

/** The ops both encoders share, bound to one engine; weights it creates are kept for dispose(). */
export class Ops {
  readonly kept: Tensor[] = [];
  private readonly hasErf: boolean;

  constructor(readonly tf: Tf) {
    this.hasErf = !!tf.getKernel('Erf', tf.getBackend());
  }

  keep<T extends Tensor>(t: T): T {
    this.kept.push(t);
    return t;
  }

  tensor(t: { data: Float32Array; shape: number[] } | undefined): Tensor | undefined {
    return t ? this.keep(this.tf.tensor(t.data, t.shape, 'float32')) : undefined;
  }

  /** A [out, in] PyTorch weight stored transposed once, [in, out], so each call is a plain matMul. */
  weightT(data: Float32Array, out: number, inn: number): Tensor2D {
    return this.keep(this.tf.tidy(() => this.tf.transpose(this.tf.tensor2d(data, [out, inn]))));
  }

  /** erf with the engine's kernel where it has one, else Abramowitz-Stegun 7.1.26 (error < 1.5e-7). */
  erf(x: Tensor): Tensor {
    const tf = this.tf;
    if (this.hasErf) return tf.erf(x);
    const s = tf.sign(x);
    const a = tf.abs(x);
    const t = tf.div(1, tf.add(1, tf.mul(0.3275911, a)));
    const poly = tf.mul(
      t,
      tf.add(
        0.254829592,
        tf.mul(
          t,
          tf.add(-0.284496736, tf.mul(t, tf.add(1.421413741, tf.mul(t, tf.add(-1.453152027, tf.mul(t, 1.061405429)))))),
        ),
      ),
    );
    return tf.mul(s, tf.sub(1, tf.mul(poly, tf.exp(tf.neg(tf.square(a))))));
  }

  activate(x: Tensor, a: DenseLayer['activation']): Tensor {
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
      case 'silu':
        return tf.mul(x, tf.sigmoid(x));
      case 'gelu':
        // Exact GELU, as the checkpoints' "gelu" means (the tanh form moves MaxSim by ~1e-3).
        return tf.mul(tf.mul(x, 0.5), tf.add(1, this.erf(tf.mul(x, Math.SQRT1_2))));
      case 'gelu_tanh': {
        const inner = tf.mul(tf.add(x, tf.mul(tf.pow(x, 3), 0.044715)), Math.sqrt(2 / Math.PI));
        return tf.mul(tf.mul(x, 0.5), tf.add(1, tf.tanh(inner)));
      }
    }
  }

  layerNorm(x: Tensor, g: Tensor, b: Tensor | undefined, eps: number): Tensor {
    const tf = this.tf;
    const { mean, variance } = tf.moments(x, -1, true);
    const y = tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, eps))), g);
    return b ? tf.add(y, b) : y;
  }

  linear(x: Tensor, w: Tensor, b: Tensor | undefined): Tensor {
    const tf = this.tf;
    const inF = x.shape[x.shape.length - 1]!;
    const y = tf.matMul(tf.reshape(x, [x.size / inF, inF]), w as Tensor2D);
    return tf.reshape(b ? tf.add(y, b) : y, [...x.shape.slice(0, -1), w.shape[1]!]);
  }

  /** Additive attention bias: 0 where `allowed` (bool, broadcastable to the scores), a large negative number elsewhere. */
  bias(allowed: Tensor): Tensor {
    const tf = this.tf;
    // Finite, so that a row that may attend to nothing gets uniform weights rather than NaN.
    return tf.mul(tf.sub(1, tf.cast(allowed, 'float32')), -1e9);
  }

  attend(q: Tensor, k: Tensor, v: Tensor, bias: Tensor, scale: number): Tensor {
    const tf = this.tf;
    return tf.matMul(tf.softmax(tf.add(tf.mul(tf.matMul(q, k, false, true), scale), bias), -1), v);
  }

  dispose(): void {
    for (const t of this.kept) t.dispose();
    this.kept.length = 0;
  }
}

/** The ColBERT projection layers (activation, residual), run after the backbone. */
export class ProjectionLayers {
  private readonly layers: Array<{
    w: Tensor;
    b: Tensor | undefined;
    r: Tensor | 'identity' | undefined;
    activation: DenseLayer['activation'];
  }>;

  constructor(
    private readonly ops: Ops,
    layers: readonly DenseLayer[],
  ) {
    this.layers = layers.map((l) => ({
      w: ops.weightT(l.weight, l.outFeatures, l.inFeatures),
      b: l.bias ? ops.keep(ops.tf.tensor1d(l.bias)) : undefined,
      r:
        l.residual === 'identity'
          ? 'identity'
          : l.residual
            ? ops.weightT(l.residual, l.outFeatures, l.inFeatures)
            : undefined,
      activation: l.activation,
    }));
  }

  outputDim(hidden: number): number {
    return this.layers.length ? this.layers[this.layers.length - 1]!.w.shape[1]! : hidden;
  }

  apply(x: Tensor): Tensor {
    const { ops } = this;
    for (const l of this.layers) {
      let y = ops.activate(ops.linear(x, l.w, l.b), l.activation);
      if (l.r === 'identity') y = ops.tf.add(y, x);
      else if (l.r) y = ops.tf.add(y, ops.linear(x, l.r, undefined));
      x = y;
    }
    return x;
  }
}
