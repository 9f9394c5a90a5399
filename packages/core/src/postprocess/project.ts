import type { ForwardOutput } from '../backend/types.js';
import { dotScores } from '../plaid/dot-scores.js';
import type { DenseLayer } from '../model/spec.js';
import { activate } from './dense-apply.js';

/**
 * The projection applied by core, for a loaded model that returns the backbone's rows
 * (`projected: false`): every position, padded ones too, since a query's expansion tokens are
 * scored even where the encoder did not attend to them. Each layer's products run through the
 * SIMD dot-product kernel (the compressed index's), whose float32 sums are as close to the
 * reference's as its GEMM's; bias, activation and residual follow per element.
 */
export function projectRows(layers: readonly DenseLayer[], out: ForwardOutput): ForwardOutput {
  if (!layers.length) return out;
  const positions = out.batchSize * out.seqLen;
  let cur = out.data.subarray(0, positions * out.dim);
  for (const l of layers) {
    const y = dotScores(cur, positions, l.weight, l.outFeatures, l.inFeatures);
    const residual =
      l.residual && l.residual !== 'identity'
        ? dotScores(cur, positions, l.residual, l.outFeatures, l.inFeatures)
        : undefined;
    for (let p = 0; p < positions; p++)
      for (let o = 0; o < l.outFeatures; o++) {
        const at = p * l.outFeatures + o;
        let v = activate(l.activation, y[at]! + (l.bias ? l.bias[o]! : 0));
        if (l.residual === 'identity') v += cur[p * l.inFeatures + o]!;
        else if (residual) v += residual[at]!;
        y[at] = v;
      }
    cur = y;
  }
  return { data: cur, batchSize: out.batchSize, seqLen: out.seqLen, dim: layers.at(-1)!.outFeatures };
}
