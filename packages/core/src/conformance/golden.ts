import { TesseraError } from '../errors.js';
import { fixtureFileText } from './fixture-access.js';

/** One text as the reference library framed and encoded it. */
export interface GoldenText {
  text: string;
  input_ids: number[];
  attention_mask: number[];
  /** 1 where the row is scored (kept). */
  scored: number[];
  kept_ids: number[];
  embeddings: number[][];
}

export interface ColbertGolden {
  layout: string;
  /** The reference call that produced it, with any configuration it needed. */
  reference: string;
  dim: number;
  /** Expansion length (null without query expansion). */
  query_length: number | null;
  document_length: number;
  queries: GoldenText[];
  documents: GoldenText[];
  maxsim: number[][];
}

export interface DenseGoldenText {
  text: string;
  input_ids: number[];
  embedding: number[];
}

export interface DenseGolden {
  reference: string;
  dim: number;
  prompts: Record<string, string>;
  default_prompt_name: string | null;
  /** encode(): the default prompt. */
  texts: DenseGoldenText[];
  cosine: number[][];
  /** encode_query() / encode_document(), where the model has those prompts. */
  query_texts?: DenseGoldenText[];
  document_texts?: DenseGoldenText[];
  /** encode(truncate_dim=...), not renormalized. */
  truncated?: { dimension: number; embeddings: number[][] };
}

/** A backend's raw forward output for a padded batch with token types (forward.json). */
export interface ForwardGolden {
  reference: string;
  input_ids: number[][];
  attention_mask: number[][];
  token_type_ids: number[][];
  dim: number;
  /** [batch][position][dim], projected, not normalized. */
  rows: number[][][];
}

export function readGolden<T>(dir: string, file = 'golden.json'): T {
  const text = fixtureFileText(dir, file);
  if (text === undefined) throw new TesseraError('MODEL_NOT_FOUND', `${dir}: no ${file}`, { dir, file });
  return JSON.parse(text) as T;
}

/** Largest absolute difference between two row sets (Infinity when shapes differ). */
export function maxAbsDiff(expected: number[][], data: Float32Array, dim: number): number {
  if (expected.length * dim !== data.length) return Infinity;
  let m = 0;
  expected.forEach((row, r) => row.forEach((v, j) => (m = Math.max(m, Math.abs(v - data[r * dim + j]!)))));
  return m;
}

export function maxAbsDiffArrays(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}
