import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStore, type Tessera } from '@tessera/core';
import { fixtures } from '@tessera/fixtures';
import { createServer, type TesseraServer } from '../src/index.js';
import { open } from './helpers.js';

const TEXTS = Array.from(
  { length: 60 },
  (_, i) =>
    `passage ${i}: ${['ships and harbours', 'mountain music', 'rivers in spring', 'a quiet library'][i % 4]} ${i * 3}`,
);

let t: Tessera;
let store: MemoryStore;
let server: TesseraServer;
beforeAll(async () => {
  t = await open(fixtures.pylate);
  store = new MemoryStore();
  await t.index(
    store,
    TEXTS.map((text, i) => ({ id: `p${i}`, text })),
    { keepText: true },
  );
  await t.buildSearchIndex(store, { centroids: 32 });
  server = await createServer({ models: [{ name: 'pylate', tessera: t }], indexes: { notes: store } });
});
afterAll(async () => {
  await server?.close();
  await t?.dispose();
});

const search = (body: unknown) => server.app.inject({ method: 'POST', url: '/v1/search', payload: body as object });

describe('POST /v1/search', () => {
  it("answers with the index's best documents, scored as t.search scores them, and says how", async () => {
    const r = await search({ index: 'notes', query: 'mountain music', top_k: 5 });
    expect(r.statusCode, r.body).toBe(200);
    const body = r.json();
    expect(body).toMatchObject({ index: 'notes', model: 'pylate', path: 'index' });
    expect(body.took_ms).toBeGreaterThan(0);
    const direct = await t.search(store, 'mountain music', { topK: 5 });
    expect(body.results.map((x: { id: string }) => x.id)).toEqual(direct.map((x) => x.id));
    body.results.forEach((x: { rank: number; score: number; text: string }, i: number) => {
      expect(x.rank).toBe(i + 1);
      expect(x.score).toBeCloseTo(direct[i]!.score, 5);
      expect(x.text).toBe(direct[i]!.text);
    });
    const exact = (await search({ index: 'notes', query: 'mountain music', top_k: 5, exact: true })).json();
    expect(exact.path).toBe('exact');
    const info = (await server.app.inject({ method: 'GET', url: '/info' })).json();
    expect(info.indexes).toEqual([{ name: 'notes', location: 'memory', model: 'pylate' }]);
  });

  it('names what is wrong with a request: an unknown index, a missing query, a top_k out of range', async () => {
    const unknown = await search({ index: 'nope', query: 'x' });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error).toMatch(/no index "nope" \(this server searches "notes"\)/);
    const missing = await search({ index: 'notes' });
    expect(missing.statusCode).toBe(422);
    expect(missing.json().error).toMatch(/query/);
    const big = await search({ index: 'notes', query: 'x', top_k: 5000 });
    expect(big.statusCode).toBe(422);
    expect(big.json().error).toMatch(/top_k/);
  });

  it('refuses at startup an index that no served model built, naming both models', async () => {
    const other = await open(fixtures.stanford);
    try {
      const e = await createServer({ models: [other], indexes: { notes: store } }).then(
        () => undefined,
        (err: Error) => err,
      );
      expect(e?.message).toContain(fixtures.pylate);
      expect(e?.message).toContain(fixtures.stanford);
    } finally {
      await other.dispose();
    }
  });
});
