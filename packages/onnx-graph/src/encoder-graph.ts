import { TesseraError, type EncoderDescription, type ModelSpec } from '@tessera/core/browser';
import { OnnxGraph } from './graph-builder.js';
import { bertEncoder } from './bert-graph.js';
import { GraphLayers, type ExportDtype } from './layers.js';
import { modernBertEncoder } from './modernbert-graph.js';

/** The model types Tessera writes ONNX graphs for (config.json's model_type). */
export const EXPORTABLE = ['bert', 'distilbert', 'roberta', 'xlm-roberta', 'camembert', 'modernbert'] as const;

/** LayerNormalization, which every graph here uses, arrived in opset 17. */
export const MIN_OPSET = 17;
export const MAX_OPSET = 21;

export interface GraphOptions {
  dtype: ExportDtype;
  opset: number;
  /** Append the model's projection (Dense layers) and, when the model normalizes, the L2 norm. */
  projection: boolean;
}

export interface EncoderGraph {
  bytes: Uint8Array;
  inputs: string[];
  output: string;
  /** The output's row width: the hidden size, or the projected dimension with `projection`. */
  width: number;
}

export function checkOpset(opset: number): void {
  if (!Number.isInteger(opset) || opset < MIN_OPSET || opset > MAX_OPSET)
    throw new TesseraError(
      'INVALID_OPTION',
      `opset ${opset} is not one Tessera exports (${MIN_OPSET} to ${MAX_OPSET}: LayerNormalization needs ${MIN_OPSET})`,
      { field: 'opset' },
    );
}

/**
 * The ONNX graph of a text encoder: inputs input_ids and attention_mask (and token_type_ids when
 * the checkpoint has several token types), dynamic batch and sequence axes, output
 * last_hidden_state, or `embeddings` when the projection is included.
 */
export function encoderGraph(spec: ModelSpec, desc: EncoderDescription, options: GraphOptions): EncoderGraph {
  checkOpset(options.opset);
  if (options.projection && spec.kind !== 'colbert')
    throw new TesseraError(
      'INVALID_OPTION',
      `${spec.dir}: a ${spec.kind} model's Dense and Normalize modules act after pooling, so its graph ends at the backbone (leave out the projection)`,
      { field: 'projection' },
    );
  const g = new OnnxGraph(spec.modelType, options.opset, 'tessera');
  const L = new GraphLayers(g, options.dtype);
  const inputs = ['input_ids', 'attention_mask'];
  const hidden =
    desc.config.architecture === 'modernbert'
      ? modernBertEncoder(L, desc.config, desc.weights)
      : bertEncoder(L, desc.config, desc.weights, (name) => inputs.push(name));
  for (const name of inputs) g.input(name, 'int64', ['batch', 'sequence']);
  let out = hidden;
  let width = spec.hiddenSize;
  let output = 'last_hidden_state';
  if (options.projection && spec.projection.length > 0) {
    out = L.projection(out, spec.projection);
    width = spec.outputDim;
    output = 'embeddings';
  }
  if (options.projection && spec.normalize) {
    out = L.normalize(out);
    output = 'embeddings';
  }
  g.node('Identity', [out], {}, [output]);
  g.output(output, 'float32', ['batch', 'sequence', width]);
  return { bytes: g.toBytes(), inputs, output, width };
}
