import { readFileSync } from 'node:fs';

export interface Workload {
  name: 'queries' | 'docs128' | 'mixed';
  role: 'query' | 'document';
  texts: string[];
  description: string;
}

export function corpus(): Array<{ id: string; source: string; text: string }> {
  return readFileSync(new URL('../corpus/passages.jsonl', import.meta.url), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { id: string; source: string; text: string });
}

/** Every k-th item, so that a sample keeps the length distribution of the whole. */
export function stratified<T>(items: T[], n: number | undefined): T[] {
  if (!n || n >= items.length) return items;
  const step = items.length / n;
  return Array.from({ length: n }, (_, i) => items[Math.floor(i * step)]!);
}

/** Short queries, ~128-token documents, and the mixed-length corpus of real passages. */
export function workloads(limit?: number): Workload[] {
  const passages = corpus().map((p) => p.text);
  const words = passages.join(' ').split(/\s+/);
  const queries = Array.from({ length: 128 }, (_, i) => words.slice(i * 37, i * 37 + 5 + (i % 8)).join(' '));
  const docs128 = Array.from({ length: 128 }, (_, i) => words.slice(i * 101, i * 101 + 96).join(' '));
  const cut = (a: string[]) => stratified(a, limit);
  return [
    {
      name: 'queries',
      role: 'query',
      texts: cut(queries),
      description: 'short queries (5-12 words, padded to 32 tokens)',
    },
    { name: 'docs128', role: 'document', texts: cut(docs128), description: 'documents of about 128 tokens' },
    {
      name: 'mixed',
      role: 'document',
      texts: cut(passages),
      description: `the mixed corpus: ${passages.length} real passages of 10 to 440 tokens`,
    },
  ];
}
