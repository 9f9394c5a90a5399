import { TesseraError } from '../errors.js';
import { SafetensorsFile } from '../io/safetensors.js';
import type { Activation, Architecture, ModelSpec } from './spec.js';

/** A float32 tensor as plain data, for handing to an engine. */
export interface Tensor32 {
  data: Float32Array;
  shape: number[];
}

/** Canonical name -> checkpoint name; {i} is the layer index. */
type NameTable = Record<string, string>;

/**
 * BERT, DistilBERT, RoBERTa and XLM-RoBERTa share one post-norm encoder. Canonical names:
 * embeddings.{word,position,token_type}, embeddings.ln.*, layer.N.{q,k,v,o,ln1,ff1,ff2,ln2}.{weight,bias}.
 */
const BERT: NameTable = {
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

const DISTILBERT: NameTable = {
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

/**
 * ModernBERT: pre-norm layers with a fused QKV projection, rotary positions, GeGLU feed-forward,
 * alternating global / sliding-window attention, and bias-free LayerNorms by default. Canonical
 * names: embeddings.word, embeddings.ln.*, layer.N.{attn_norm,qkv,o,mlp_norm,wi,wo}.*, final_norm.*.
 */
const MODERNBERT: NameTable = {
  'embeddings.word': 'embeddings.tok_embeddings.weight',
  'embeddings.ln.weight': 'embeddings.norm.weight',
  'embeddings.ln.bias': 'embeddings.norm.bias',
  'layer.{i}.attn_norm.weight': 'layers.{i}.attn_norm.weight',
  'layer.{i}.attn_norm.bias': 'layers.{i}.attn_norm.bias',
  'layer.{i}.qkv.weight': 'layers.{i}.attn.Wqkv.weight',
  'layer.{i}.qkv.bias': 'layers.{i}.attn.Wqkv.bias',
  'layer.{i}.o.weight': 'layers.{i}.attn.Wo.weight',
  'layer.{i}.o.bias': 'layers.{i}.attn.Wo.bias',
  'layer.{i}.mlp_norm.weight': 'layers.{i}.mlp_norm.weight',
  'layer.{i}.mlp_norm.bias': 'layers.{i}.mlp_norm.bias',
  'layer.{i}.wi.weight': 'layers.{i}.mlp.Wi.weight',
  'layer.{i}.wi.bias': 'layers.{i}.mlp.Wi.bias',
  'layer.{i}.wo.weight': 'layers.{i}.mlp.Wo.weight',
  'layer.{i}.wo.bias': 'layers.{i}.mlp.Wo.bias',
  'final_norm.weight': 'final_norm.weight',
  'final_norm.bias': 'final_norm.bias',
};

/** Tensors a checkpoint may leave out: token types, and the biases ModernBERT configs switch off (norm_bias, attention_bias, mlp_bias). */
function optional(arch: Architecture, canonical: string, layer: number): boolean {
  if (canonical === 'embeddings.token_type') return true;
  if (arch !== 'modernbert') return false;
  if (canonical.startsWith('layer.{i}.attn_norm.') && layer === 0) return true; // its first layer has no attention norm
  return canonical.endsWith('.bias');
}

export interface BertFamilyConfig {
  architecture: 'bert';
  heads: number;
  layers: number;
  eps: number;
  hiddenAct: Activation;
  /** RoBERTa-style position ids: cumulative count of non-pad tokens, offset by padId. */
  paddingPositions: boolean;
  padId: number;
}

export interface ModernBertConfig {
  architecture: 'modernbert';
  heads: number;
  layers: number;
  eps: number;
  hiddenAct: Activation;
  /** Per layer: true for global attention, false for the sliding window. */
  globalLayers: boolean[];
  /** A local layer's query attends to keys at most this far away (local_attention / 2). */
  window: number;
  ropeThetaGlobal: number;
  ropeThetaLocal: number;
}

export interface EncoderDescription {
  config: BertFamilyConfig | ModernBertConfig;
  weights: Record<string, Tensor32>;
}

const FAMILY: Record<string, Architecture> = {
  bert: 'bert',
  distilbert: 'distilbert',
  roberta: 'roberta',
  'xlm-roberta': 'xlm-roberta',
  camembert: 'roberta',
  modernbert: 'modernbert',
};

/** The architecture family of a config.json model_type, or undefined when no reader knows it. */
export function architectureOf(modelType: string): Architecture | undefined {
  return FAMILY[modelType];
}

function invalid(spec: ModelSpec, message: string, field?: string): TesseraError {
  return new TesseraError('INVALID_MODEL', `${spec.transformerDir}/config.json: ${message}`, {
    file: `${spec.transformerDir}/config.json`,
    field,
  });
}

function num(spec: ModelSpec, ...keys: string[]): number {
  for (const k of keys) if (typeof spec.config[k] === 'number') return spec.config[k] as number;
  throw invalid(spec, `missing "${keys[0]}"`, keys[0]);
}

const HIDDEN_ACTS: Record<string, Activation> = {
  gelu: 'gelu',
  gelu_new: 'gelu_tanh',
  gelu_pytorch_tanh: 'gelu_tanh',
  gelu_fast: 'gelu_tanh',
  relu: 'relu',
  silu: 'silu',
  swish: 'silu',
};

function hiddenAct(spec: ModelSpec, backendName: string, ...keys: string[]): Activation {
  const raw = keys.map((k) => spec.config[k]).find((v) => v !== undefined) ?? 'gelu';
  const act = HIDDEN_ACTS[String(raw)];
  if (!act)
    throw invalid(
      spec,
      `activation "${String(raw)}" is not supported by the ${backendName} backend (${Object.keys(HIDDEN_ACTS).join(', ')})`,
      keys[0],
    );
  return act;
}

/** ModernBERT's layer pattern, window and rotary bases, from a transformers 4 or 5 config.json. */
function modernBertConfig(spec: ModelSpec, backendName: string): ModernBertConfig {
  const c = spec.config;
  const layers = num(spec, 'num_hidden_layers');
  let globalLayers: boolean[];
  if (Array.isArray(c.layer_types)) {
    if (c.layer_types.length !== layers)
      throw invalid(spec, `layer_types has ${c.layer_types.length} entries for ${layers} layers`, 'layer_types');
    globalLayers = c.layer_types.map((t, i) => {
      if (t !== 'full_attention' && t !== 'sliding_attention')
        throw invalid(
          spec,
          `layer_types[${i}] is ${JSON.stringify(t)} (expected full_attention or sliding_attention)`,
          'layer_types',
        );
      return t === 'full_attention';
    });
  } else {
    const every = typeof c.global_attn_every_n_layers === 'number' ? c.global_attn_every_n_layers : 3;
    globalLayers = Array.from({ length: layers }, (_, i) => i % every === 0);
  }
  const rope = (c.rope_parameters ?? {}) as Record<string, { rope_theta?: number; rope_type?: string } | undefined>;
  for (const [kind, p] of Object.entries(rope)) {
    if (p?.rope_type && p.rope_type !== 'default')
      throw invalid(
        spec,
        `rope_parameters.${kind}.rope_type "${p.rope_type}" is not supported by the ${backendName} backend (default rotary only)`,
        'rope_parameters',
      );
  }
  const window =
    typeof c.local_attention === 'number'
      ? Math.floor(c.local_attention / 2)
      : typeof c.sliding_window === 'number'
        ? c.sliding_window
        : 64;
  return {
    architecture: 'modernbert',
    heads: num(spec, 'num_attention_heads'),
    layers,
    eps: Number(c.norm_eps ?? 1e-5),
    hiddenAct: hiddenAct(spec, backendName, 'hidden_activation', 'hidden_act'),
    globalLayers,
    window,
    ropeThetaGlobal: Number(rope.full_attention?.rope_theta ?? c.global_rope_theta ?? 160000),
    ropeThetaLocal: Number(rope.sliding_attention?.rope_theta ?? c.local_rope_theta ?? 10000),
  };
}

/** Key prefix of the backbone inside the file ("bert." in Stanford checkpoints, "model." in MaskedLM ones, "" in plain ones). */
function backbonePrefix(st: SafetensorsFile, anchor: string): string | undefined {
  const key = st.names().find((n) => n === anchor || n.endsWith(`.${anchor}`));
  return key === undefined ? undefined : key.slice(0, key.length - anchor.length);
}

/**
 * Reads the backbone's weights and renames them to the canonical names every backend implements
 * (one BERT-family encoder, one ModernBERT encoder).
 */
export async function readEncoderWeights(spec: ModelSpec, backendName: string): Promise<EncoderDescription> {
  if (!spec.weightsFile)
    throw new TesseraError(
      'INVALID_MODEL',
      `${spec.transformerDir}: no model.safetensors; the ${backendName} backend reads safetensors weights`,
      { dir: spec.transformerDir },
    );
  const arch = architectureOf(spec.modelType);
  if (!arch)
    throw new TesseraError(
      'INVALID_MODEL',
      `${spec.files.join(spec.transformerDir, 'config.json')}: model_type "${spec.modelType}" is not supported by the ` +
        `${backendName} backend (bert, distilbert, roberta, xlm-roberta, modernbert); use the ONNX backend`,
      { field: 'model_type' },
    );
  const table = arch === 'distilbert' ? DISTILBERT : arch === 'modernbert' ? MODERNBERT : BERT;
  const st = await SafetensorsFile.open(spec.weightsFile, spec.files);
  const anchor = table['embeddings.word']!;
  const prefix = backbonePrefix(st, anchor);
  if (prefix === undefined)
    throw new TesseraError(
      'INVALID_MODEL',
      `${spec.weightsFile}: no "${anchor}" tensor; this is not a ${spec.modelType} checkpoint as config.json says`,
      { file: spec.weightsFile },
    );

  let config: BertFamilyConfig | ModernBertConfig;
  if (arch === 'modernbert') config = modernBertConfig(spec, backendName);
  else {
    const roberta = arch === 'roberta' || arch === 'xlm-roberta';
    config = {
      architecture: 'bert',
      heads: arch === 'distilbert' ? num(spec, 'n_heads', 'num_attention_heads') : num(spec, 'num_attention_heads'),
      layers: arch === 'distilbert' ? num(spec, 'n_layers', 'num_hidden_layers') : num(spec, 'num_hidden_layers'),
      eps: Number(spec.config.layer_norm_eps ?? 1e-12),
      hiddenAct: hiddenAct(spec, backendName, 'hidden_act', 'activation'),
      paddingPositions: roberta,
      padId: Number(spec.config.pad_token_id ?? (roberta ? 1 : 0)),
    };
  }
  if (spec.hiddenSize % config.heads !== 0)
    throw invalid(
      spec,
      `hidden size ${spec.hiddenSize} is not a multiple of the ${config.heads} attention heads`,
      'num_attention_heads',
    );

  const weights: Record<string, Tensor32> = {};
  for (const [canonical, source] of Object.entries(table)) {
    const perLayer = canonical.includes('{i}');
    for (let i = 0; i < (perLayer ? config.layers : 1); i++) {
      const name = prefix + source.replace('{i}', String(i));
      if (!st.has(name)) {
        if (optional(arch, canonical, i)) continue;
        throw new TesseraError('INVALID_MODEL', `${spec.weightsFile}: tensor "${name}" is missing`, {
          file: spec.weightsFile,
          field: name,
        });
      }
      weights[canonical.replace('{i}', String(i))] = { data: await st.readFloat32(name), shape: st.info(name).shape };
    }
  }
  const word = weights['embeddings.word']!;
  if (word.shape.length !== 2 || word.shape[1] !== spec.hiddenSize)
    throw new TesseraError(
      'INVALID_MODEL',
      `${spec.weightsFile}: "${prefix}${anchor}" has shape ${JSON.stringify(word.shape)}, expected [vocab, ${spec.hiddenSize}]`,
      { file: spec.weightsFile },
    );
  return { config, weights };
}
