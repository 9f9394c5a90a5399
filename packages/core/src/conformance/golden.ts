import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ColbertGolden {
  layout: string;
  dim: number;
  query_length: number;
  document_length: number;
  queries: Array<{ text: string; input_ids: number[]; attention_mask: number[]; embeddings: number[][] }>;
  documents: Array<{ text: string; input_ids: number[]; kept_ids: number[]; embeddings: number[][] }>;
  maxsim: number[][];
}

export interface DenseGolden {
  dim: number;
  texts: Array<{ text: string; input_ids: number[]; embedding: number[] }>;
  cosine: number[][];
}

export function readGolden<T>(dir: string): T {
  return JSON.parse(readFileSync(join(dir, 'golden.json'), 'utf8')) as T;
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
