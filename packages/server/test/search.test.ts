import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  MemoryStore,
  type RowMatrix,
  type StoreHit,
  type StoreSearchOptions,
  type Tessera,
  TesseraError,
} from '@tessera/core';
import { fixtures } from '@tessera/fixtures';
import { createServer, type TesseraServer } from '../src/index.js';
import { open } from './helpers.js';

const TEXTS = Array.from(
  { length: 60 },
  (_, i) =>
    `passage ${i}: ${['ships and harbours', 'mountain music', 'rivers in spring', 'a quiet library'][i % 4]} ${i * 3}`,
);

/** A store that filters, in a toy language ("every N": p0, pN, p2N, ...), as a store package does in its own. */
class EveryNth extends MemoryStore {
  private keep(where: string): (id: string) => boolean {
    const n = Number(/^every (\d+)$/.exec(where)?.[1]);
    if (!(n > 0))
      throw new TesseraError('INVALID_FILTER', `/srv/x: cannot read ${where}`, { where, reason: 'not "every N"' });
    return (id) => Number(id.slice(1)) % n === 0;
  }
  async idsWhere(where: string): Promise<string[]> {
    const keep = this.keep(where);
    return TEXTS.map((_, i) => `p${i}`).filter(keep);
  }
  override async search(q: RowMatrix, o: StoreSearchOptions): Promise<StoreHit[]> {
    if (o.where === undefined) return super.search(q, o);
    const keep = this.keep(o.where);
    return (await super.search(q, { limit: 1e9 })).filter((h) => keep(h.id)).slice(0, o.limit);
  }
}

let t: Tessera;
let store: MemoryStore;
let filtering: EveryNth;
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
  filtering = new EveryNth();
  await t.index(
    filtering,
    TEXTS.map((text, i) => ({ id: `p${i}`, text })),
    { keepText: true },
  );
  await t.buildSearchIndex(filtering, { centroids: 32 });
  server = await createServer({
    models: [{ name: 'pylate', tessera: t }],
    indexes: { notes: store, filtered: filtering },
  });
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
    expect(info.indexes).toEqual([
      { name: 'notes', location: 'memory', model: 'pylate' },
      { name: 'filtered', location: 'memory', model: 'pylate' },
    ]);
  });

  it("filters with `where` in the store's language before ranking, and names a filter the store refuses", async () => {
    const r = await search({ index: 'filtered', query: 'mountain music', top_k: 4, where: 'every 3' });
    expect(r.statusCode, r.body).toBe(200);
    const direct = await t.search(filtering, 'mountain music', { topK: 4, where: 'every 3' });
    const ids = r.json().results.map((x: { id: string }) => x.id);
    expect(ids).toEqual(direct.map((x) => x.id));
    expect(ids).toHaveLength(4);
    for (const id of ids) expect(Number(id.slice(1)) % 3).toBe(0);
    const bad = await search({ index: 'filtered', query: 'x', where: 'every other' });
    expect(bad.statusCode).toBe(422);
    expect(bad.json().error).toBe('the filter "every other" was refused: not "every N"');
    const cannot = await search({ index: 'notes', query: 'x', where: 'every 3' });
    expect(cannot.statusCode).toBe(422);
    expect(cannot.json().error).toMatch(/cannot filter/);
    expect((await search({ index: 'filtered', query: 'x', where: '' })).statusCode).toBe(422);
  });

  it('names what is wrong with a request: an unknown index, a missing query, a top_k out of range', async () => {
    const unknown = await search({ index: 'nope', query: 'x' });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error).toMatch(/no index "nope" \(this server searches "notes", "filtered"\)/);
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
