import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtures } from '@tessera/fixtures';
import { MemoryStore, Tessera, registerBackend, type IndexDocument, type StoreRecord } from '../src/index.js';
import { storeError } from '../src/store-kit.js';
import { errorOf, hashed } from './helpers.js';

const words = [
  'paris',
  'france',
  'capital',
  'banana',
  'yellow',
  'river',
  'mountain',
  'city',
  'fruit',
  'music',
  'green',
  'ocean',
];
const docs: IndexDocument[] = Array.from({ length: 40 }, (_, i) => ({
  id: `d${i}`,
  text: Array.from({ length: 3 + (i % 9) }, (_, k) => words[(i * 7 + k * 5) % words.length]).join(' '),
  metadata: { i },
}));

let t: Tessera;
beforeAll(async () => {
  registerBackend(hashed);
  t = await Tessera.create({ model: fixtures.pylate, backend: 'hashed' });
});
afterAll(() => t.dispose());

/** A store that counts its writes and can fail the n-th. */
class Watched extends MemoryStore {
  writes = 0;
  failAt = Infinity;
  override async add(records: readonly StoreRecord[]): Promise<void> {
    if (++this.writes === this.failAt)
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    return super.add(records);
  }
}

async function ids(store: MemoryStore): Promise<string[]> {
  const out: string[] = [];
  for await (const e of store.entries()) out.push(e.id);
  return out.sort();
}

describe('t.index and t.search', () => {
  it('indexes documents and finds what score() ranks first, with the same scores', async () => {
    const store = new MemoryStore();
    const events: number[] = [];
    const summary = await t.index(store, docs, {
      keepText: true,
      windowSize: 16,
      onProgress: (p) => events.push(p.written),
    });
    expect(summary).toMatchObject({
      read: 40,
      encoded: 40,
      written: 40,
      alreadyIndexed: 0,
      duplicates: 0,
      total: 40,
      stopped: false,
    });
    expect(summary.tokens).toBeGreaterThan(0);
    expect(events.at(-1)).toBe(40);
    const query = 'capital city of france';
    const results = await t.search(store, query, { topK: 5 });
    const ranked = await t.rerank(
      query,
      docs.map((d) => d.text),
      { topK: 5 },
    );
    expect(results.map((r) => r.id)).toEqual(ranked.map((r) => `d${r.index}`));
    results.forEach((r, i) => expect(r.score).toBeCloseTo(ranked[i]!.score, 5));
    expect(results[0]!.text).toBe(docs[ranked[0]!.index]!.text);
    expect(results[0]!.metadata).toEqual({ i: ranked[0]!.index });
  });

  it('resumes after a stop: every id once, nothing encoded twice', async () => {
    const store = new MemoryStore();
    const stop = new AbortController();
    const first = await t.index(store, docs, {
      windowSize: 8,
      signal: stop.signal,
      onProgress: (p) => p.written >= 16 && stop.abort(),
    });
    expect(first.stopped).toBe(true);
    expect(first.written).toBeGreaterThanOrEqual(16);
    expect(first.written).toBeLessThan(40);
    const second = await t.index(store, docs, { windowSize: 8 });
    expect(second.alreadyIndexed).toBe(first.written);
    expect(second.encoded).toBe(40 - first.written);
    expect(await ids(store)).toEqual(docs.map((d) => d.id).sort());
    const third = await t.index(store, docs, { windowSize: 8 });
    expect(third).toMatchObject({ alreadyIndexed: 40, encoded: 0, written: 0, total: 40 });
  });

  it('lets the last occurrence of an id win, and counts the others', async () => {
    const store = new MemoryStore();
    const input: IndexDocument[] = [
      { id: 'a', text: 'paris france' },
      { id: 'b', text: 'banana yellow' },
      { id: 'a', text: 'ocean river' }, // same window as the first "a"
      ...docs.slice(0, 10),
      { id: 'b', text: 'mountain music' }, // a later window: replaces a written row
    ];
    const s = await t.index(store, input, { keepText: true, windowSize: 4 });
    expect(s.duplicates).toBe(2);
    expect(s.duplicateIds).toEqual(['a', 'b']);
    expect(s.total).toBe(12);
    const texts = new Map((await t.search(store, 'x', { topK: 12 })).map((r) => [r.id, r.text]));
    expect(texts.get('a')).toBe('ocean river');
    expect(texts.get('b')).toBe('mountain music');
    // Run again: all of it is already there, and the earlier "b" does not come back.
    const again = await t.index(store, input, { keepText: true, windowSize: 4 });
    expect(again.written).toBe(0);
    expect(new Map((await t.search(store, 'x', { topK: 12 })).map((r) => [r.id, r.text])).get('b')).toBe(
      'mountain music',
    );
  });

  it('refuses another model or dimension for an existing index, naming both', async () => {
    const store = new MemoryStore();
    await t.index(store, docs.slice(0, 3));
    const other = await Tessera.create({ model: fixtures.stanford, backend: 'hashed' });
    try {
      const e = await errorOf(other.index(store, docs.slice(3, 5)));
      expect(e.code).toBe('INDEX_MISMATCH');
      expect(e.message).toContain(fixtures.pylate);
      expect(e.message).toContain(fixtures.stanford);
      expect((await errorOf(other.search(store, 'q'))).code).toBe('INDEX_MISMATCH');
    } finally {
      await other.dispose();
    }
    expect(await store.count()).toBe(3);
  });

  it('refuses a store that holds data but no manifest, and searching a store that is not an index', async () => {
    const store = new MemoryStore();
    await store.add([{ id: 'x', vectors: { rows: 1, dim: 16, data: new Float32Array(16) }, source: 's', seq: 0 }]);
    const e = await errorOf(t.index(store, docs));
    expect(e.code).toBe('NOT_AN_INDEX');
    expect((await errorOf(t.search(new MemoryStore(), 'q'))).message).toMatch(/memory is not a Tessera index/);
  });

  it('stops on a store failure with a clear error, keeps what landed, and a rerun continues', async () => {
    const store = new Watched();
    store.failAt = 3;
    const e = await errorOf(t.index(store, docs, { windowSize: 8 }));
    expect(e.code).toBe('STORE_FAILED');
    expect(e.message).toMatch(
      /memory: writing 8 documents failed: the disk is full\. Every write is all-or-nothing: rerun/,
    );
    expect(await store.count()).toBe(16);
    store.failAt = Infinity;
    const s = await t.index(store, docs, { windowSize: 8 });
    expect(s.alreadyIndexed).toBe(16);
    expect(await ids(store)).toEqual(docs.map((d) => d.id).sort());
  });

  it('names disk-full, permission and read-only failures from Node and from a native store alike', () => {
    const store = new MemoryStore();
    const say = (e: unknown) => storeError(store, 'writing 3 documents', e).message;
    expect(say(Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' }))).toMatch(
      /writing 3 documents failed: the disk is full/,
    );
    expect(say(new Error('lance error: IO: No space left on device (os error 28)'))).toMatch(/the disk is full/);
    expect(say(new Error('Generic LocalFileSystem error: Permission denied (os error 13)'))).toMatch(
      /permission denied/,
    );
    expect(say(new Error('Read-only file system (os error 30)'))).toMatch(/the file system is read-only/);
    expect(say(new Error('something else\nwith a trace'))).toMatch(/failed: something else\. Every write/);
  });

  it('names a bad document by its position', async () => {
    const store = new MemoryStore();
    const bad = [docs[0]!, { id: 'z', text: 42 } as unknown as IndexDocument];
    const e = await errorOf(t.index(store, bad));
    expect(e.code).toBe('INVALID_INPUT');
    expect(e.message).toBe('document 1 (id "z"): text must be a string (got number)');
    expect((await errorOf(t.index(store, [{ id: '', text: 'x' }]))).message).toMatch(
      /document 0: id must be a non-empty string/,
    );
  });
});
