import type { ForwardOutput } from '../backend/types.js';
import { applyDenseLayers } from './dense-apply.js';
import type { DenseLayer } from '../model/spec.js';

/**
 * The projection applied by core, for a loaded model that returns the backbone's rows
 * (`projected: false`): every position, padded ones too, since a query's expansion tokens are
 * scored even where the encoder did not attend to them.
 */
export function projectRows(layers: readonly DenseLayer[], out: ForwardOutput): ForwardOutput {
  if (!layers.length) return out;
  const dimOut = layers.at(-1)!.outFeatures;
  const positions = out.batchSize * out.seqLen;
  const data = new Float32Array(positions * dimOut);
  for (let p = 0; p < positions; p++)
    data.set(applyDenseLayers(layers, out.data.subarray(p * out.dim, (p + 1) * out.dim)), p * dimOut);
  return { data, batchSize: out.batchSize, seqLen: out.seqLen, dim: dimOut };
}
