import type { Activation, DenseLayer } from '../model/spec.js';

// The arithmetic of dense layers, apart from their loading (model/dense-layer.ts reads files):
// it runs wherever the encoder runs, a browser included.

/** Applies layers to one vector on the JS thread (used for the few vectors of dense pooling). */
export function applyDenseLayers(layers: readonly DenseLayer[], x: Float32Array): Float32Array {
  let cur = x;
  for (const l of layers) {
    const y = new Float32Array(l.outFeatures);
    for (let o = 0; o < l.outFeatures; o++) {
      let s = l.bias ? l.bias[o]! : 0;
      const base = o * l.inFeatures;
      for (let i = 0; i < l.inFeatures; i++) s += l.weight[base + i]! * cur[i]!;
      let v = activate(l.activation, s);
      if (l.residual === 'identity') v += cur[o]!;
      else if (l.residual) for (let i = 0; i < l.inFeatures; i++) v += l.residual[base + i]! * cur[i]!;
      y[o] = v;
    }
    cur = y;
  }
  return cur;
}

export function activate(a: Activation, x: number): number {
  switch (a) {
    case 'identity':
      return x;
    case 'tanh':
      return Math.tanh(x);
    case 'relu':
      // biome-ignore lint/complexity/useMathMinMax: kept as written: NaN maps to 0 here, Math.max would return NaN
      return x > 0 ? x : 0;
    case 'sigmoid':
      return 1 / (1 + Math.exp(-x));
    case 'gelu':
      return 0.5 * x * (1 + erf(x / Math.SQRT2));
    case 'gelu_tanh':
      return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
    case 'silu':
      return x / (1 + Math.exp(-x));
  }
}

/** Abramowitz-Stegun 7.1.26 is too coarse for parity; this series/continued-fraction pair is exact to ~1e-7. */
export function erf(x: number): number {
  const sign = x < 0 ? -1 : 1;
  const ax = Math.abs(x);
  if (ax < 2.5) {
    // Maclaurin series.
    let term = ax;
    let sum = ax;
    const x2 = ax * ax;
    for (let n = 1; n < 60; n++) {
      term *= -x2 / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17) break;
    }
    return sign * (2 / Math.sqrt(Math.PI)) * sum;
  }
  // Continued fraction for erfc.
  let f = 0;
  for (let n = 60; n >= 1; n--) f = n / 2 / (ax + f);
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / (ax + f);
  return sign * (1 - erfc);
}
