/** What core knows about a model folder; backends receive it to load weights. */

export type ModelKind = 'colbert' | 'dense';
export type ModelLayout = 'stanford' | 'pylate' | 'sentence-transformers';
export type Activation = 'identity' | 'tanh' | 'relu' | 'gelu' | 'sigmoid';
export type PoolingMode = 'cls' | 'mean' | 'max' | 'lasttoken';

/** A linear layer y = act(W x + b), W stored [out, in] row-major as in PyTorch. */
export interface DenseLayer {
  inFeatures: number;
  outFeatures: number;
  weight: Float32Array;
  bias: Float32Array | undefined;
  activation: Activation;
  /** Where it came from, for error messages. */
  source: string;
}

export interface ColbertSettings {
  /** Marker token strings; null means no marker. */
  queryMarker: string | null;
  documentMarker: string | null;
  queryLength: number;
  documentLength: number;
  /** Attend to the [MASK] expansion tokens of queries. */
  attendToExpansion: boolean;
  /** Pad queries with [MASK] to queryLength and keep every row. */
  queryExpansion: boolean;
  /** Token strings whose document rows are dropped. */
  skiplistWords: string[];
}

export interface ModelSpec {
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
  /** model.safetensors of the backbone, when present. */
  weightsFile: string | undefined;
  /** Prefix of backbone keys inside weightsFile ("bert." for Stanford checkpoints). */
  weightPrefix: string;
  /** Token-level layers applied after the backbone (the ColBERT projection). */
  projection: DenseLayer[];
  /** Width of a row as the backend returns it (after projection). */
  outputDim: number;
  /** Dimensions the model supports for Matryoshka truncation (always includes outputDim). */
  dimensions: number[];
  colbert: ColbertSettings | undefined;
  /** Dense models: pooling, the layers after pooling, and whether to normalize. */
  pooling: PoolingMode | undefined;
  denseLayers: DenseLayer[];
  normalize: boolean;
  /** Dense models: maximum tokens per text (sentence_bert_config.json max_seq_length). */
  maxLength: number;
  /** ONNX graphs found in the folder, relative to dir. */
  onnxFiles: string[];
}
