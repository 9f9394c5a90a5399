import type { ModelFiles } from '../io/model-files.js';
/** What core knows about a model folder; backends receive it to load weights. */

export type ModelKind = 'colbert' | 'dense';
/**
 * stanford: colbert-ai's HF_ColBERT folders. pylate: PyLate (and ColBERT models saved by
 * sentence-transformers before 6). multi-vector: sentence-transformers 6 MultiVectorEncoder saves.
 * sentence-transformers: single-vector (pooled) models.
 */
export type ModelLayout = 'stanford' | 'pylate' | 'multi-vector' | 'sentence-transformers';
export type Activation = 'identity' | 'tanh' | 'relu' | 'gelu' | 'gelu_tanh' | 'sigmoid' | 'silu';
export type PoolingMode = 'cls' | 'mean' | 'max' | 'lasttoken' | 'mean_sqrt_len_tokens' | 'weightedmean';

/** A linear layer y = act(W x + b) [+ residual], W stored [out, in] row-major as in PyTorch. */
export interface DenseLayer {
  inFeatures: number;
  outFeatures: number;
  weight: Float32Array;
  bias: Float32Array | undefined;
  activation: Activation;
  /**
   * Residual connection added after the activation (sentence-transformers / PyLate use_residual):
   * 'identity' adds the input itself (in == out), a Float32Array [out, in] adds R x.
   */
  residual?: 'identity' | Float32Array;
  /** Where it came from, for error messages. */
  source: string;
}

/** ColBERT query expansion: queries are filled up to `length` tokens with the expansion token. */
export interface QueryExpansion {
  /** fixed: exactly `length` tokens (longer queries are truncated). min: at least `length` tokens. */
  strategy: 'fixed' | 'min';
  /** The encoder attends to the expansion tokens (they are always scored). */
  attend: boolean;
  /** Token string; null falls back to the mask token (then eos, then pad for PyLate folders). */
  token: string | null;
  length: number;
}

export type EncodeRoleName = 'query' | 'document';

export interface ColbertSettings {
  /**
   * How the role marker reaches the input: 'placeholder' (colbert-ai: ". " + text, then the token
   * after the first is replaced), 'insert' (PyLate: the marker id goes after the first token), or
   * 'prompt' (sentence-transformers 6: the marker is part of the text prompt).
   */
  markerMode: 'placeholder' | 'insert' | 'prompt';
  /** Marker token strings for placeholder/insert; null means no marker. */
  queryMarker: string | null;
  documentMarker: string | null;
  /** Text prepended before tokenization ('' for none). */
  queryPrompt: string;
  documentPrompt: string;
  /** Most tokens in a query (markers and special tokens included); undefined: the model's limit. */
  queryLength: number | undefined;
  documentLength: number;
  queryExpansion: QueryExpansion | null;
  /** Token strings whose rows are not scored. */
  skiplistWords: string[];
  /**
   * How a skiplist word that is not one token resolves: PyLate's unknown token, colbert-ai's first
   * id of the word alone, or dropped (sentence-transformers 6).
   */
  skiplistUnknown: 'unk' | 'encode' | 'drop';
  /** Roles the skiplist applies to. */
  skiplistRoles: EncodeRoleName[];
  /** Expansion rows are scored (false only for a multi-vector folder without a MultiVectorMask module). */
  expansionScored: boolean;
  /** multi-vector only: documents score only these token ids (ColPali-style allowlist). */
  keepOnlyTokenIds: number[] | null;
}

/** Backbone architecture families the weight readers know. */
export type Architecture = 'bert' | 'distilbert' | 'roberta' | 'xlm-roberta' | 'modernbert';

export interface ModelSpec {
  /** Where the model's files are read: the folder on disk, or files fetched in a browser. */
  files: ModelFiles;
  /** Root folder of the model. */
  dir: string;
  /** Folder with config.json, the backbone weights and the tokenizer. */
  transformerDir: string;
  kind: ModelKind;
  layout: ModelLayout;
  /** The Hugging Face config.json of the backbone. */
  config: Record<string, unknown>;
  modelType: string;
  hiddenSize: number;
  maxPositions: number;
  /** Most tokens a text may have for this backbone (position table minus RoBERTa's padding offset). */
  positionLimit: number;
  /** model.safetensors of the backbone, when present. */
  weightsFile: string | undefined;
  /** Token-level layers applied after the backbone (the ColBERT projection). */
  projection: DenseLayer[];
  /** Width of a row as the backend returns it (after projection). */
  outputDim: number;
  /** Dimensions the model declares for Matryoshka truncation (always includes the full one). */
  dimensions: number[];
  colbert: ColbertSettings | undefined;
  /** Named text prompts (config_sentence_transformers.json) and the default one. */
  prompts: Record<string, string>;
  defaultPromptName: string | null;
  /** sentence_bert_config.json do_lower_case: texts are lowercased (special tokens kept). */
  lowercase: boolean;
  /** Dense models: pooling modes (concatenated in this order), the layers after pooling, and whether to normalize. */
  pooling: PoolingMode[] | undefined;
  /** Dense models: prompt tokens count in pooling (sentence-transformers Pooling include_prompt). */
  poolingIncludesPrompt: boolean;
  denseLayers: DenseLayer[];
  /** Rows (ColBERT) or pooled vectors (dense) are L2-normalized: a Normalize module, or always for Stanford and PyLate. */
  normalize: boolean;
  /** Dense models: maximum tokens per text. */
  maxLength: number;
  /** ONNX graphs found in the folder, relative to dir. */
  onnxFiles: string[];
  /** Notes about how the folder was read (clamped lengths, legacy defaults), reported as warnings. */
  notes: string[];
}
