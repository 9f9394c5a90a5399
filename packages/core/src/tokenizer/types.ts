/** What core needs from a tokenizer; implemented on Hugging Face tokenizers, replaceable for tests. */
export interface TextTokenizer {
  /** Token ids of each text, without special tokens and without truncation. */
  encodeRaw(texts: readonly string[]): Promise<number[][]>;
  /** Id of a token string (vocabulary or added tokens), or undefined. */
  tokenToId(token: string): number | undefined;
  /** Special tokens the model's template puts before / after the text ([CLS] / [SEP]). */
  readonly specialPrefix: readonly number[];
  readonly specialSuffix: readonly number[];
  readonly padId: number;
  readonly maskId: number | undefined;
  readonly eosId?: number | undefined;
  readonly unkId?: number | undefined;
  readonly unkToken?: string | undefined;
  /** Ids of special tokens (template tokens and added special tokens). */
  readonly specialIds?: ReadonlySet<number>;
  readonly vocabSize: number;
}

/** One tokenized text ready for a model: special tokens added, truncated, unpadded. */
export interface TokenizedText {
  ids: number[];
  /** 1 where the model attends (equal length to ids). Positions past ids.length are padding. */
  attention: number[];
  truncated: boolean;
  /**
   * 1 where the row is part of the output: ColBERT's scored rows (skiplist, expansion), or the rows
   * a dense model pools. Defaults to `attention` when absent.
   */
  scored?: number[];
}
