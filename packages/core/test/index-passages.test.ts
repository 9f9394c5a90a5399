import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtures } from '@tessera/fixtures';
import { MemoryStore, maxSim, registerBackend, Tessera } from '../src/index.js';
import { documentTextRoom } from '../src/store-kit.js';
import { errorOf, hashed } from './helpers.js';

let t: Tessera;
let room: number;
beforeAll(async () => {
  registerBackend(hashed);
  t = await Tessera.create({ model: fixtures.pylate, backend: 'hashed' });
  room = await documentTextRoom(t);
});
afterAll(() => t.dispose());

// Two halves with no word in common, in sentences, each several documents long.
const sentence = (words: string[], k: number) =>
  `${Array.from({ length: 7 }, (_, j) => words[(k * 3 + j) % words.length]).join(' ')}.`;
const first = ['paris', 'france', 'capital', 'river', 'city', 'bridge', 'museum', 'street'];
const second = ['banana', 'yellow', 'fruit', 'green', 'ocean', 'music', 'mountain', 'forest'];
const long = [
  ...Array.from({ length: 12 }, (_, k) => sentence(first, k)),
  ...Array.from({ length: 12 }, (_, k) => sentence(second, k)),
].join(' ');

describe('indexing texts longer than a document', () => {
  it("measures the model's room for text through its own framing", async () => {
    // The PyLate fixture: document_length 40, less [CLS], [SEP] and the "[D] " prefix.
    const [framed] = await t.prepare(['word '.repeat(room)], 'document');
    const [over] = await t.prepare(['word '.repeat(room + 1)], 'document');
    expect(framed!.truncated).toBe(false);
    expect(over!.truncated).toBe(true);
  });

  it('splits them into passages that each fit, covering the whole text, scored by the best passage', async () => {
    const store = new MemoryStore();
    const s = await t.index(
      store,
      [
        { id: 'long', text: long },
        { id: 'short', text: 'paris is a city.' },
      ],
      { keepText: true },
    );
    expect(s).toMatchObject({ written: 2, split: 1, cut: 0 });
    const [record] = await store.fetch(['long']);
    const passages = record!.passages!;
    expect(passages.length).toBeGreaterThan(2);
    expect(s.passages).toBe(passages.length + 1);
    const texts = passages.map((p) => long.slice(p.start, p.end));
    for (const [i, text] of texts.entries()) {
      const [framed] = await t.prepare([text], 'document');
      expect(framed!.truncated, `passage ${i} fits`).toBe(false);
      if (i < texts.length - 1) expect(text, `passage ${i} ends at a sentence end`).toMatch(/\.$/);
    }
    for (const m of long.matchAll(/\S+/g))
      expect(passages.some((p) => p.start <= m.index && m.index + m[0].length <= p.end)).toBe(true);
    // The rows are each passage's own encoding, one after another.
    const own = await t.encodeDocuments(texts);
    expect(record!.vectors.rows).toBe(own.reduce((n, r) => n + r.rows, 0));

    const query = 'banana yellow fruit ocean';
    const [q] = await t.encodeQueries([query]);
    const bestOwn = Math.max(...own.map((r) => maxSim(q!, r)));
    const { results } = await t.searchReport(store, query, { topK: 2 });
    const hit = results.find((r) => r.id === 'long')!;
    expect(hit.score).toBeCloseTo(bestOwn, 5);
    const matched = passages[hit.passage!.index]!;
    expect(hit.passage).toEqual({
      index: hit.passage!.index,
      of: passages.length,
      start: matched.start,
      end: matched.end,
    });
    expect(long.slice(hit.passage!.start, hit.passage!.end)).toMatch(/banana|yellow|fruit|ocean/);
    expect(results.find((r) => r.id === 'short')!.passage).toBeUndefined();

    // Rerun: nothing encoded twice, the document still whole once.
    const again = await t.index(store, [
      { id: 'long', text: long },
      { id: 'short', text: 'paris is a city.' },
    ]);
    expect(again).toMatchObject({ alreadyIndexed: 2, encoded: 0, passages: 0 });
    expect(await store.count()).toBe(2);
  });

  it('with passages: false encodes the text whole and counts it as cut; takes passage sizes and refuses impossible ones', async () => {
    const whole = await t.index(new MemoryStore(), [{ id: 'long', text: long }], { passages: false });
    expect(whole).toMatchObject({ passages: 1, split: 0, cut: 1 });
    const store = new MemoryStore();
    const small = await t.index(store, [{ id: 'long', text: long }], { passages: { passageTokens: 12, overlap: 0 } });
    const [record] = await store.fetch(['long']);
    expect(small.passages).toBe(record!.passages!.length);
    for (let i = 1; i < record!.passages!.length; i++)
      expect(record!.passages![i]!.start).toBeGreaterThanOrEqual(record!.passages![i - 1]!.end);
    const big = await errorOf(t.index(new MemoryStore(), [], { passages: { passageTokens: room + 1 } }));
    expect(big.code).toBe('INVALID_OPTION');
    expect(big.message).toContain(
      `passageTokens ${room + 1} is more than a document of this model holds (${room} tokens of text)`,
    );
    const overlap = await errorOf(t.index(new MemoryStore(), [], { passages: { passageTokens: 10, overlap: 10 } }));
    expect(overlap.message).toMatch(
      /overlap must be an integer from 0 to passageTokens - 1 \(got 10 with passageTokens 10\)/,
    );
  });

  it('says when a query was cut at the query length', async () => {
    const store = new MemoryStore();
    await t.index(store, [{ id: 'a', text: 'paris is a city.' }]);
    expect((await t.searchReport(store, 'paris city', { topK: 1 })).note).toMatch(/no compressed index/);
    const long = await t.searchReport(store, 'paris city '.repeat(100), { topK: 1 });
    expect(long.note).toMatch(
      /the query is longer than the model's query length: only its first \d+ tokens were searched/,
    );
  });
});
