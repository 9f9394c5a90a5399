import { TesseraError } from '../errors.js';
import { SafetensorsFile } from '../io/safetensors.js';
import type { ModelSpec } from './spec.js';

/** A float32 tensor as plain data, for handing to an engine. */
export interface Tensor32 {
  data: Float32Array;
  shape: number[];
}

/**
 * The backbone weights of a BERT-family checkpoint under canonical names, so that every
 * backend implements one encoder: embeddings.{word,position,token_type}, embeddings.ln.*,
 * layer.N.{q,k,v,o,ln1,ff1,ff2,ln2}.{weight,bias}. Canonical name -> checkpoint name; {i} is the layer.
 */
const BERT: Record<string, string> = {
  'embeddings.word': 'embeddings.word_embeddings.weight',
  'embeddings.position': 'embeddings.position_embeddings.weight',
  'embeddings.token_type': 'embeddings.token_type_embeddings.weight',
  'embeddings.ln.weight': 'embeddings.LayerNorm.weight',
  'embeddings.ln.bias': 'embeddings.LayerNorm.bias',
  'layer.{i}.q.weight': 'encoder.layer.{i}.attention.self.query.weight',
  'layer.{i}.q.bias': 'encoder.layer.{i}.attention.self.query.bias',
  'layer.{i}.k.weight': 'encoder.layer.{i}.attention.self.key.weight',
  'layer.{i}.k.bias': 'encoder.layer.{i}.attention.self.key.bias',
  'layer.{i}.v.weight': 'encoder.layer.{i}.attention.self.value.weight',
  'layer.{i}.v.bias': 'encoder.layer.{i}.attention.self.value.bias',
  'layer.{i}.o.weight': 'encoder.layer.{i}.attention.output.dense.weight',
  'layer.{i}.o.bias': 'encoder.layer.{i}.attention.output.dense.bias',
  'layer.{i}.ln1.weight': 'encoder.layer.{i}.attention.output.LayerNorm.weight',
  'layer.{i}.ln1.bias': 'encoder.layer.{i}.attention.output.LayerNorm.bias',
  'layer.{i}.ff1.weight': 'encoder.layer.{i}.intermediate.dense.weight',
  'layer.{i}.ff1.bias': 'encoder.layer.{i}.intermediate.dense.bias',
  'layer.{i}.ff2.weight': 'encoder.layer.{i}.output.dense.weight',
  'layer.{i}.ff2.bias': 'encoder.layer.{i}.output.dense.bias',
  'layer.{i}.ln2.weight': 'encoder.layer.{i}.output.LayerNorm.weight',
  'layer.{i}.ln2.bias': 'encoder.layer.{i}.output.LayerNorm.bias',
};

const DISTILBERT: Record<string, string> = {
  'embeddings.word': 'embeddings.word_embeddings.weight',
  'embeddings.position': 'embeddings.position_embeddings.weight',
  'embeddings.ln.weight': 'embeddings.LayerNorm.weight',
  'embeddings.ln.bias': 'embeddings.LayerNorm.bias',
  'layer.{i}.q.weight': 'transformer.layer.{i}.attention.q_lin.weight',
  'layer.{i}.q.bias': 'transformer.layer.{i}.attention.q_lin.bias',
  'layer.{i}.k.weight': 'transformer.layer.{i}.attention.k_lin.weight',
  'layer.{i}.k.bias': 'transformer.layer.{i}.attention.k_lin.bias',
  'layer.{i}.v.weight': 'transformer.layer.{i}.attention.v_lin.weight',
  'layer.{i}.v.bias': 'transformer.layer.{i}.attention.v_lin.bias',
  'layer.{i}.o.weight': 'transformer.layer.{i}.attention.out_lin.weight',
  'layer.{i}.o.bias': 'transformer.layer.{i}.attention.out_lin.bias',
  'layer.{i}.ln1.weight': 'transformer.layer.{i}.sa_layer_norm.weight',
  'layer.{i}.ln1.bias': 'transformer.layer.{i}.sa_layer_norm.bias',
  'layer.{i}.ff1.weight': 'transformer.layer.{i}.ffn.lin1.weight',
  'layer.{i}.ff1.bias': 'transformer.layer.{i}.ffn.lin1.bias',
  'layer.{i}.ff2.weight': 'transformer.layer.{i}.ffn.lin2.weight',
  'layer.{i}.ff2.bias': 'transformer.layer.{i}.ffn.lin2.bias',
  'layer.{i}.ln2.weight': 'transformer.layer.{i}.output_layer_norm.weight',
  'layer.{i}.ln2.bias': 'transformer.layer.{i}.output_layer_norm.bias',
};

export interface EncoderDescription {
  config: {
    heads: number;
    layers: number;
    eps: number;
    hiddenAct: 'gelu' | 'relu';
    /** RoBERTa-style position ids: cumulative count of non-pad tokens, offset by padId. */
    paddingPositions: boolean;
    padId: number;
  };
  weights: Record<string, Tensor32>;
}

function num(spec: ModelSpec, ...keys: string[]): number {
  for (const k of keys) if (typeof spec.config[k] === 'number') return spec.config[k] as number;
  throw new TesseraError('INVALID_MODEL', `${spec.transformerDir}/config.json: missing "${keys[0]}"`, { field: keys[0] });
}

/** Reads the backbone's weights and renames them to the addon's canonical names. */
export async function readEncoderWeights(spec: ModelSpec, backendName: string): Promise<EncoderDescription> {
  if (!spec.weightsFile) throw new TesseraError('INVALID_MODEL', `${spec.transformerDir}: no model.safetensors; the ${backendName} backend reads safetensors weights`, { dir: spec.transformerDir });
  const type = spec.modelType;
  const table = type === 'distilbert' ? DISTILBERT : type === 'bert' || type === 'roberta' || type === 'xlm-roberta' ? BERT : undefined;
  if (!table) throw new TesseraError('INVALID_MODEL', `model_type "${type}" is not supported by the ${backendName} backend (bert, distilbert, roberta, xlm-roberta); use the ONNX backend`, { field: 'model_type' });
  const layers = type === 'distilbert' ? num(spec, 'n_layers', 'num_hidden_layers') : num(spec, 'num_hidden_layers');
  const heads = type === 'distilbert' ? num(spec, 'n_heads', 'num_attention_heads') : num(spec, 'num_attention_heads');
  const act = String(spec.config.hidden_act ?? spec.config.activation ?? 'gelu');
  if (act !== 'gelu' && act !== 'relu') throw new TesseraError('INVALID_MODEL', `hidden_act "${act}" is not supported by the ${backendName} backend (gelu, relu)`, { field: 'hidden_act' });
  const st = await SafetensorsFile.open(spec.weightsFile);
  const weights: Record<string, Tensor32> = {};
  for (const [canonical, source] of Object.entries(table)) {
    for (let i = 0; i < (canonical.includes('{i}') ? layers : 1); i++) {
      const name = spec.weightPrefix + source.replace('{i}', String(i));
      if (!st.has(name)) {
        if (canonical === 'embeddings.token_type') continue;
        throw new TesseraError('INVALID_MODEL', `${spec.weightsFile}: tensor "${name}" is missing`, { file: spec.weightsFile, field: name });
      }
      weights[canonical.replace('{i}', String(i))] = { data: await st.readFloat32(name), shape: st.info(name).shape };
    }
  }
  const roberta = type === 'roberta' || type === 'xlm-roberta';
  return {
    config: { heads, layers, eps: Number(spec.config.layer_norm_eps ?? 1e-12), hiddenAct: act as 'gelu' | 'relu', paddingPositions: roberta, padId: Number(spec.config.pad_token_id ?? (roberta ? 1 : 0)) },
    weights,
  };
}
