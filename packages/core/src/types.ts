/** Multi-vector output of one input text: `rows` x `dim` floats, row-major. */
export interface TokenEmbeddings {
  /** Position of the text in the caller's input. */
  index: number;
  rows: number;
  dim: number;
  data: Float32Array;
  /** The token id each row came from. */
  tokenIds: Int32Array;
  /** Tokens fed to the model for this text (markers and special tokens included). */
  tokens: number;
  truncated: boolean;
}

/** Single-vector output of one input text. */
export interface DenseEmbedding {
  index: number;
  dim: number;
  data: Float32Array;
  tokens: number;
  truncated: boolean;
}

export type QuantizationKind = 'binary' | 'int8';

/** Quantized multi-vector embeddings. binary: ceil(dim/8) bytes a row, LSB first. int8: dim bytes a row, one scale a row. */
export interface QuantizedEmbeddings {
  kind: QuantizationKind;
  index: number;
  rows: number;
  dim: number;
  /** Bytes per row. */
  stride: number;
  data: Uint8Array | Int8Array;
  /** int8 only: x ~= data * scale[row]. */
  scales?: Float32Array;
}

export type EncodeRole = 'query' | 'document';

export interface ProgressEvent {
  role: EncodeRole | 'dense';
  done: number;
  total: number | undefined;
  tokens: number;
  elapsedMs: number;
}
