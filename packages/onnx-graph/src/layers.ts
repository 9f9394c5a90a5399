import type { DenseLayer, Tensor32 } from '@tessera/core/browser';
import { encodeF16 } from '@tessera/core/browser';
import { elemType, type OnnxGraph } from './graph-builder.js';

/** How the exported graph stores its linear layers' weights. */
export type ExportDtype = 'fp32' | 'fp16' | 'q8';

export type Activation = DenseLayer['activation'];

/** W [out, in] (PyTorch) transposed to [in, out] for MatMul. */
export function transposed(w: Float32Array, out: number, inn: number): Float32Array {
  const t = new Float32Array(inn * out);
  for (let o = 0; o < out; o++) for (let i = 0; i < inn; i++) t[i * out + o] = w[o * inn + i]!;
  return t;
}

/**
 * Symmetric int8 per output column: scale = max|w| / 127, zero point 0. Per column rather than
 * per tensor because one outlier column would otherwise coarsen every other column's steps; the
 * fused kernel (DynamicQuantizeMatMul) takes a scale per column at no extra cost.
 */
export function quantizeColumns(wt: Float32Array, inn: number, out: number): { q: Int8Array; scale: Float32Array } {
  const scale = new Float32Array(out);
  for (let i = 0; i < inn; i++)
    for (let o = 0; o < out; o++) scale[o] = Math.max(scale[o]!, Math.abs(wt[i * out + o]!));
  for (let o = 0; o < out; o++) scale[o] = scale[o]! / 127 || 1;
  const q = new Int8Array(inn * out);
  for (let i = 0; i < inn; i++)
    for (let o = 0; o < out; o++)
      q[i * out + o] = Math.max(-127, Math.min(127, Math.round(wt[i * out + o]! / scale[o]!)));
  return { q, scale };
}

/**
 * The building blocks every exported encoder shares (linear layers in the chosen dtype, layer
 * norms, activations, constants), over the typed graph builder.
 */
export class GraphLayers {
  private readonly constants = new Map<string, string>();

  constructor(
    readonly g: OnnxGraph,
    readonly dtype: ExportDtype = 'fp32',
    private readonly prefix = '',
  ) {}

  /** A float32 scalar constant, shared by every use of the same value. */
  scalar(v: number): string {
    const key = `f${v}`;
    let name = this.constants.get(key);
    if (!name) {
      name = this.g.initializer(`${this.prefix}c_${this.constants.size}`, 'float32', [], Float32Array.of(v));
      this.constants.set(key, name);
    }
    return name;
  }

  /** An int64 constant vector (or scalar when `scalar`), for shapes, axes and indices. */
  ints(values: number[], scalar = false): string {
    const key = `i${scalar ? 's' : ''}${values.join(',')}`;
    let name = this.constants.get(key);
    if (!name) {
      const data = BigInt64Array.from(values, (v) => BigInt(v));
      name = this.g.initializer(`${this.prefix}c_${this.constants.size}`, 'int64', scalar ? [] : [values.length], data);
      this.constants.set(key, name);
    }
    return name;
  }

  /** A float32 weight stored as is (embeddings, norms, biases). */
  weight(name: string, t: Tensor32): string {
    return this.g.initializer(`${this.prefix}${name}`, 'float32', t.shape, t.data);
  }

  /** A float weight matrix [in, out] in the graph's dtype: fp16 is stored half and cast up once at load. */
  private matrix(name: string, data: Float32Array, inn: number, out: number): string {
    if (this.dtype !== 'fp16') return this.g.initializer(name, 'float32', [inn, out], data);
    const half = this.g.initializer(`${name}_fp16`, 'float16', [inn, out], encodeF16(data));
    return this.g.node('Cast', [half], { to: { int: elemType('float32') } });
  }

  /**
   * x · Wᵀ + b for a PyTorch [out, in] weight. In q8 the weight is int8 per column and x is
   * quantized per call (DynamicQuantizeLinear → MatMulInteger → scale), the pattern ONNX
   * Runtime fuses into one DynamicQuantizeMatMul kernel.
   */
  linear(x: string, name: string, w: Tensor32, b: Tensor32 | undefined, quantize = true): string {
    const [out, inn] = w.shape as [number, number];
    const wt = transposed(w.data, out, inn);
    let y: string;
    if (this.dtype === 'q8' && quantize) {
      const { q, scale } = quantizeColumns(wt, inn, out);
      const wq = this.g.initializer(`${this.prefix}${name}.weight_q`, 'int8', [inn, out], q);
      const ws = this.g.initializer(`${this.prefix}${name}.weight_scale`, 'float32', [out], scale);
      const [xq, xs, xz] = [`${this.prefix}${name}_xq`, `${this.prefix}${name}_xs`, `${this.prefix}${name}_xz`];
      this.g.node('DynamicQuantizeLinear', [x], {}, [xq, xs, xz]);
      const acc = this.g.node('MatMulInteger', [xq, wq, xz]);
      const scales = this.g.node('Mul', [xs, ws]);
      y = this.g.node('Mul', [this.g.node('Cast', [acc], { to: { int: elemType('float32') } }), scales]);
    } else y = this.g.node('MatMul', [x, this.matrix(`${this.prefix}${name}.weight_t`, wt, inn, out)]);
    return b ? this.g.node('Add', [y, this.weight(`${name}.bias`, b)]) : y;
  }

  /** LayerNormalization over the last axis; a norm without bias (ModernBERT's default) has none. */
  layerNorm(x: string, name: string, w: Tensor32, b: Tensor32 | undefined, eps: number): string {
    const inputs = [x, this.weight(`${name}.weight`, w)];
    if (b) inputs.push(this.weight(`${name}.bias`, b));
    return this.g.node('LayerNormalization', inputs, { axis: { int: -1 }, epsilon: { float: eps } });
  }

  /** An activation in ops every opset has; exact GELU through Erf (ONNX Runtime fuses it into Gelu). */
  activate(x: string, a: Activation): string {
    const { g } = this;
    switch (a) {
      case 'identity':
        return x;
      case 'tanh':
        return g.node('Tanh', [x]);
      case 'relu':
        return g.node('Relu', [x]);
      case 'sigmoid':
        return g.node('Sigmoid', [x]);
      case 'silu':
        return g.node('Mul', [x, g.node('Sigmoid', [x])]);
      case 'gelu': {
        // x / √2 (not x · 1/√2): the form ONNX Runtime's Gelu fusion matches.
        const erf = g.node('Erf', [g.node('Div', [x, this.scalar(Math.SQRT2)])]);
        return g.node('Mul', [g.node('Mul', [x, g.node('Add', [erf, this.scalar(1)])]), this.scalar(0.5)]);
      }
      case 'gelu_tanh': {
        const x3 = g.node('Mul', [g.node('Mul', [x, x]), x]);
        const sum = g.node('Add', [x, g.node('Mul', [x3, this.scalar(0.044715)])]);
        const t = g.node('Tanh', [g.node('Mul', [sum, this.scalar(Math.sqrt(2 / Math.PI))])]);
        return g.node('Mul', [g.node('Mul', [x, g.node('Add', [t, this.scalar(1)])]), this.scalar(0.5)]);
      }
    }
  }

  /** The ColBERT / sentence-transformers Dense layers after the backbone, in float32 as the reference computes them. */
  projection(x: string, layers: readonly DenseLayer[]): string {
    let cur = x;
    layers.forEach((l, k) => {
      const input = cur;
      const w = { data: l.weight, shape: [l.outFeatures, l.inFeatures] };
      const b = l.bias ? { data: l.bias, shape: [l.outFeatures] } : undefined;
      cur = this.activate(this.linear(cur, `dense_${k}`, w, b, false), l.activation);
      if (l.residual === 'identity') cur = this.g.node('Add', [cur, input]);
      else if (l.residual) {
        const r = { data: l.residual, shape: [l.outFeatures, l.inFeatures] };
        cur = this.g.node('Add', [cur, this.linear(input, `dense_${k}_residual`, r, undefined, false)]);
      }
    });
    return cur;
  }

  /** Rows scaled to unit length (the ColBERT normalization), as torch's normalize: x / max(‖x‖, 1e-12). */
  normalize(x: string): string {
    // Opset 18 moved Reduce* axes from an attribute to an input.
    const norm =
      this.g.opset >= 18
        ? this.g.node('ReduceL2', [x, this.ints([-1])], { keepdims: { int: 1 } })
        : this.g.node('ReduceL2', [x], { axes: { ints: [-1] }, keepdims: { int: 1 } });
    return this.g.node('Div', [x, this.g.node('Max', [norm, this.scalar(1e-12)])]);
  }
}
