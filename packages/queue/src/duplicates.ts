import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { IdRule } from '@tessera/core';
import { parseRecord } from '@tessera/core/store';

export interface DuplicateLines {
  /** Lines whose id occurs again later: they are skipped, so the last occurrence wins. */
  skip: number[];
  /** Up to ten such ids. */
  examples: string[];
}

/** 53 bits of FNV-1a over the id (two 32-bit lanes), exact in a double. */
function hash53(s: string): number {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
  }
  return (a >>> 0) * 2 ** 21 + ((b >>> 0) & 0x1fffff);
}

async function* idLines(
  path: string,
  ids: { field: string },
  textField: string,
): AsyncGenerator<{ line: number; id: string }> {
  const lines = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
  let line = 0;
  for await (const raw of lines) {
    line++;
    if (!raw.trim()) continue;
    const r = parseRecord(raw, { text: textField, id: ids.field, idRequired: true });
    if (!('problem' in r)) yield { line, id: String(r.id) };
  }
}

/**
 * Finds the lines to skip so that each id is written once, by its last line, whichever workers
 * write which shards at the same time (two shards inserting one new id concurrently would both
 * insert it). Hand-written because it must hold ten million ids in bounded memory: a hash and a
 * line number per record in typed arrays, sorted; only hash collisions are read again.
 */
export async function findDuplicateLines(path: string, ids: IdRule, textField: string): Promise<DuplicateLines> {
  if (ids === 'lines') return { skip: [], examples: [] };
  let hashes = new Float64Array(1 << 16);
  let lines = new Uint32Array(1 << 16);
  let n = 0;
  for await (const { line, id } of idLines(path, ids, textField)) {
    if (n === hashes.length) {
      const h = new Float64Array(n * 2);
      h.set(hashes);
      hashes = h;
      const l = new Uint32Array(n * 2);
      l.set(lines);
      lines = l;
    }
    hashes[n] = hash53(id);
    lines[n++] = line;
  }
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((x, y) => hashes[x]! - hashes[y]! || lines[x]! - lines[y]!);
  const candidates = new Set<number>();
  for (let i = 1; i < n; i++)
    if (hashes[order[i]!] === hashes[order[i - 1]!]) {
      candidates.add(lines[order[i]!]!);
      candidates.add(lines[order[i - 1]!]!);
    }
  if (!candidates.size) return { skip: [], examples: [] };
  // The candidates' real ids: a hash collision between two different ids is no duplicate.
  const byId = new Map<string, number[]>();
  for await (const { line, id } of idLines(path, ids, textField))
    if (candidates.has(line)) (byId.get(id) ?? byId.set(id, []).get(id)!).push(line);
  const skip: number[] = [];
  const examples: string[] = [];
  for (const [id, at] of byId) {
    if (at.length < 2) continue;
    skip.push(...at.slice(0, -1));
    if (examples.length < 10) examples.push(id);
  }
  return { skip: skip.sort((a, b) => a - b), examples };
}
