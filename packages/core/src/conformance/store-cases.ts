import { isTesseraError } from '../errors.js';
import { seeded } from '../random.js';
import { maxSim, type RowMatrix } from '../scoring/maxsim.js';
import { bestPassageScores } from '../scoring/passages.js';
import type { IndexManifest, Store, StoreRecord } from '../store/types.js';
import { expect, fail } from './check.js';
import type { TestHarness } from './context.js';

export interface StoreConformanceOptions {
  /** Names the store in test titles. */
  name: string;
  /** A new, empty store for each case (a fresh folder, table or namespace). */
  open: () => Promise<Store>;
  /** Persistent stores: opens what `store` held again after it was closed. */
  reopen?: (closed: Store) => Promise<Store>;
  /** Allowed difference between a store's own score and exact MaxSim (core rescores anyway). */
  scoreTolerance?: number;
  /**
   * Stores that filter (idsWhere, StoreSearchOptions.where): expressions in the store's own
   * language for the filter case. `equals(key, value)` selects documents whose metadata[key]
   * is that string; `invalid` is one the store must refuse.
   */
  filter?: { equals: (key: string, value: string) => string; invalid: string };
}

const DIM = 16;

/** A seeded generator, so a failure reproduces. */
const rng = seeded;

/** Unit rows, as ColBERT models write them. */
function rows(n: number, random: () => number, dim = DIM): RowMatrix {
  const data = new Float32Array(n * dim);
  for (let r = 0; r < n; r++) {
    let norm = 0;
    for (let c = 0; c < dim; c++) norm += (data[r * dim + c] = random() - 0.5) ** 2;
    norm = Math.sqrt(norm);
    for (let c = 0; c < dim; c++) data[r * dim + c]! /= norm;
  }
  return { rows: n, dim, data };
}

/** A record as `parts` passages: its rows divided in order, with spans of its text. */
function split(d: StoreRecord, parts: number): StoreRecord {
  const n = Math.min(parts, d.vectors.rows);
  const passages = Array.from({ length: n }, (_, k) => {
    const from = Math.floor((k * d.vectors.rows) / n);
    const to = Math.floor(((k + 1) * d.vectors.rows) / n);
    return { start: k * 10, end: k * 10 + 12, rows: to - from };
  });
  return n > 1 ? { ...d, passages } : d;
}

function corpus(n: number, seed: number): StoreRecord[] {
  const random = rng(seed);
  return Array.from({ length: n }, (_, i) => ({
    id: `doc-${i}`,
    vectors: rows(1 + ((i * 7) % 40), random),
    source: 'suite',
    seq: i,
    text: `text of document ${i}`,
    metadata: { n: i, tags: ['a', String(i % 3)], color: i % 3 === 0 ? 'red' : 'blue' },
  }));
}

const manifest: IndexManifest = {
  format: 1,
  model: 'suite-model',
  modelFingerprint: 'f'.repeat(32),
  dimension: DIM,
  createdAt: '2026-01-01T00:00:00.000Z',
};

function sameRows(got: RowMatrix | undefined, want: RowMatrix, what: string): void {
  if (!got) return;
  expect(got.rows, `${what}: rows`).toBe(want.rows);
  expect(got.dim, `${what}: dim`).toBe(want.dim);
  for (let i = 0; i < want.rows * want.dim; i++)
    if (got.data[i] !== want.data[i])
      fail(`${what}: value ${i} is ${got.data[i]}, written ${want.data[i]} (vectors must come back as written)`);
}

/** Exact top-k by MaxSim, ties by id. */
function exactTop(query: RowMatrix, docs: StoreRecord[], k: number): Array<{ id: string; score: number }> {
  return docs
    .map((d) => ({ id: d.id, score: maxSim(query, d.vectors) }))
    .sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1))
    .slice(0, k);
}

async function collect(store: Store): Promise<Map<string, { source: string; seq: number }>> {
  const m = new Map<string, { source: string; seq: number }>();
  for await (const e of store.entries()) {
    if (m.has(e.id)) fail(`entries() listed ${e.id} twice`);
    m.set(e.id, { source: e.source, seq: e.seq });
  }
  return m;
}

async function rejects(p: Promise<unknown>, what: string): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  fail(`${what} should have been refused`);
}

/**
 * The cases every Store runs: empty state, manifest, add and entries, search against exact
 * MaxSim, upsert (replace, idempotent), all-or-nothing writes, text and metadata, limits,
 * close, and (persistent stores) reopening.
 */
export function defineStoreConformanceSuite(harness: TestHarness, options: StoreConformanceOptions): void {
  const { describe, it } = harness;
  const tol = options.scoreTolerance ?? 1e-3;
  const withStore = async (fn: (s: Store) => Promise<void>) => {
    const s = await options.open();
    try {
      await fn(s);
    } finally {
      await s.close();
    }
  };

  describe(`${options.name} store conformance`, () => {
    it('starts empty: no manifest, no entries, no hits', () =>
      withStore(async (s) => {
        expect(await s.readManifest(), 'manifest of a new store').toBe(undefined);
        expect(await s.count(), 'count').toBe(0);
        expect((await collect(s)).size, 'entries').toBe(0);
        expect((await s.search(rows(3, rng(1)), { limit: 5 })).length, 'hits').toBe(0);
        expect(typeof s.location, 'location').toBe('string');
      }));

    it('keeps the manifest it is given', () =>
      withStore(async (s) => {
        await s.writeManifest(manifest);
        expect(await s.readManifest(), 'manifest').toEqual(manifest);
      }));

    it('adds documents of any row count and lists them with their source and position', () =>
      withStore(async (s) => {
        await s.writeManifest(manifest);
        const docs = corpus(60, 2);
        await s.add(docs.slice(0, 25));
        await s.add([]);
        await s.add(docs.slice(25));
        expect(await s.count(), 'count').toBe(60);
        const entries = await collect(s);
        for (const d of docs) expect(entries.get(d.id), `entry ${d.id}`).toEqual({ source: 'suite', seq: d.seq });
      }));

    it('finds the exact MaxSim top-k, best first, with their text and metadata', () =>
      withStore(async (s) => {
        await s.writeManifest(manifest);
        const docs = corpus(200, 3);
        await s.add(docs);
        const random = rng(4);
        for (let q = 0; q < 5; q++) {
          const query = rows(8, random);
          const want = exactTop(query, docs, 10);
          const hits = await s.search(query, { limit: 10 });
          expect(hits.length, 'hits').toBe(10);
          hits.forEach((h, i) => {
            if (h.id !== want[i]!.id)
              fail(
                `query ${q}, rank ${i}: ${h.id} (MaxSim ` +
                  `${maxSim(query, docs.find((d) => d.id === h.id)!.vectors)}), exact MaxSim ranks ` +
                  `${want[i]!.id} (${want[i]!.score}) there`,
              );
            if (!(Math.abs(h.score - want[i]!.score) <= tol))
              fail(`query ${q}, ${h.id}: score ${h.score}, exact MaxSim ${want[i]!.score}`);
            const d = docs.find((x) => x.id === h.id)!;
            expect(h.text, `${h.id} text`).toBe(d.text);
            expect(h.metadata, `${h.id} metadata`).toEqual(d.metadata);
            sameRows(h.vectors, d.vectors, `${h.id} vectors`);
          });
        }
        expect((await s.search(rows(4, random), { limit: 500 })).length, 'a limit past the count').toBe(200);
        expect((await s.search(rows(4, random), { limit: 1 })).length, 'limit 1').toBe(1);
      }));

    it('keeps the passages of split documents and ranks every document by its best passage', () =>
      withStore(async (s) => {
        await s.writeManifest(manifest);
        const docs = corpus(90, 12).map((d, i) => (i % 3 ? d : split(d, 2 + (i % 4))));
        await s.add(docs);
        const random = rng(13);
        for (let q = 0; q < 4; q++) {
          const query = rows(6, random);
          const { scores } = bestPassageScores(query, docs);
          const want = docs
            .map((d, i) => ({ id: d.id, score: scores[i]! }))
            .sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1))
            .slice(0, 8);
          const hits = await s.search(query, { limit: 8 });
          hits.forEach((h, i) => {
            if (h.id !== want[i]!.id)
              fail(`query ${q}, rank ${i}: ${h.id}; ranked by the best passage's MaxSim, ${want[i]!.id} is there`);
            if (!(Math.abs(h.score - want[i]!.score) <= tol))
              fail(`query ${q}, ${h.id}: score ${h.score}, its best passage's MaxSim ${want[i]!.score}`);
            expect(h.passages, `${h.id} passages`).toEqual(docs.find((d) => d.id === h.id)!.passages);
          });
        }
        if (s.fetch) {
          const [got] = await s.fetch(['doc-3']);
          expect(got?.passages, 'fetched passages').toEqual(docs[3]!.passages);
        }
        // Replaced by a version encoded whole: no passages are left behind.
        const whole = { ...corpus(1, 14)[0]!, id: 'doc-3', seq: 3 };
        await s.upsert([whole]);
        const again = (await s.search(whole.vectors, { limit: docs.length })).find((h) => h.id === 'doc-3');
        if (!again) fail('doc-3 is missing from a search over every document after its upsert');
        expect(again!.passages, 'passages after an upsert without them').toBe(undefined);
        if (s.fetch) expect((await s.fetch(['doc-3']))[0]?.passages, 'fetched after the upsert').toBe(undefined);
        const bad = { ...split(corpus(2, 15)[1]!, 2), id: 'bad' };
        bad.passages![0]!.rows += 1;
        const e = await rejects(s.add([bad]), 'passages whose rows do not add up to the vectors');
        if (!isTesseraError(e)) fail(`a bad passages field should be a TesseraError, got ${String(e)}`);
      }));

    it('upserts by id: replaces what is there, adds what is not, and says how many it replaced', () =>
      withStore(async (s) => {
        await s.writeManifest(manifest);
        const docs = corpus(30, 5);
        await s.add(docs);
        const random = rng(6);
        const changed: StoreRecord[] = [
          { id: 'doc-3', vectors: rows(5, random), source: 'other', seq: 99, text: 'replaced', metadata: { v: 2 } },
          { id: 'doc-new', vectors: rows(2, random), source: 'other', seq: 100 },
        ];
        expect((await s.upsert(changed)).replaced, 'replaced').toBe(1);
        expect((await s.upsert(changed)).replaced, 'replaced when the same write runs again').toBe(2);
        expect(await s.count(), 'count').toBe(31);
        const entries = await collect(s);
        expect(entries.get('doc-3'), 'entry of the replaced id').toEqual({ source: 'other', seq: 99 });
        const hit = (await s.search(changed[0]!.vectors, { limit: 31 })).find((h) => h.id === 'doc-3')!;
        expect(hit.text, 'replaced text').toBe('replaced');
        expect(hit.metadata, 'replaced metadata').toEqual({ v: 2 });
        sameRows(hit.vectors, changed[0]!.vectors, 'replaced vectors');
        const plain = (await s.search(changed[1]!.vectors, { limit: 31 })).find((h) => h.id === 'doc-new')!;
        expect(plain.text, 'text of a record written without one').toBe(undefined);
      }));

    it('with keepLater, keeps a row from a later position of the same source, and replaces the rest', () =>
      withStore(async (s) => {
        await s.writeManifest(manifest);
        const random = rng(13);
        const at = (id: string, source: string, seq: number, text: string): StoreRecord => ({
          id,
          vectors: rows(2, random),
          source,
          seq,
          text,
        });
        await s.add([at('x', 'f', 10, 'line 10'), at('y', 'f', 3, 'line 3'), at('z', 'f', 5, 'line 5')]);
        // Written out of order: the earlier line of x arrives after its later one.
        const r = await s.upsert(
          [at('x', 'f', 4, 'line 4'), at('y', 'f', 8, 'line 8'), at('z', 'g', 1, 'other file')],
          { keepLater: true },
        );
        expect(r.replaced, 'replaced').toBe(2);
        const entries = await collect(s);
        expect(entries.get('x'), 'x keeps its later line').toEqual({ source: 'f', seq: 10 });
        expect(entries.get('y'), 'y takes the later line').toEqual({ source: 'f', seq: 8 });
        expect(entries.get('z'), 'z takes the other source').toEqual({ source: 'g', seq: 1 });
        const texts = new Map((await s.search(rows(1, random), { limit: 3 })).map((h) => [h.id, h.text]));
        expect(texts.get('x'), 'text of x').toBe('line 10');
        // Without keepLater the write always wins.
        await s.upsert([at('x', 'f', 4, 'line 4')]);
        expect((await collect(s)).get('x'), 'a plain upsert replaces').toEqual({ source: 'f', seq: 4 });
      }));

    it('writes all of a batch or none of it', () =>
      withStore(async (s) => {
        await s.writeManifest(manifest);
        const docs = corpus(10, 7);
        await s.add(docs.slice(0, 5));
        const bad = [...docs.slice(5, 9), { ...docs[9]!, vectors: rows(3, rng(8), DIM + 1) }];
        const e1 = await rejects(s.add(bad), 'a batch with a record of another dimension');
        if (!isTesseraError(e1)) fail(`a refused write should be a TesseraError, got ${String(e1)}`);
        expect(/doc-9/.test((e1 as Error).message), `the error names the record: "${(e1 as Error).message}"`).toBe(
          true,
        );
        await rejects(s.upsert([docs[5]!, { ...docs[6]!, id: '' }]), 'a batch with an empty id');
        expect(await s.count(), 'count after refused writes').toBe(5);
        expect([...(await collect(s)).keys()].sort(), 'ids after refused writes').toEqual(
          docs
            .slice(0, 5)
            .map((d) => d.id)
            .sort(),
        );
      }));

    it('keeps text exactly, unicode and all', () =>
      withStore(async (s) => {
        await s.writeManifest(manifest);
        const text = 'naïve café — 東京 🚀 "quotes" \\ back\nslash';
        await s.add([
          {
            id: 'ü-1',
            vectors: rows(2, rng(9)),
            source: 's',
            seq: 0,
            text,
            metadata: { nested: { a: [1, 2, { b: null }] }, emoji: '🚀' },
          },
        ]);
        const [hit] = await s.search(rows(2, rng(10)), { limit: 1 });
        expect(hit!.id, 'id').toBe('ü-1');
        expect(hit!.text, 'text').toBe(text);
        expect(hit!.metadata, 'metadata').toEqual({ nested: { a: [1, 2, { b: null }] }, emoji: '🚀' });
      }));

    it('refuses calls after close', async () => {
      const s = await options.open();
      await s.close();
      await rejects(s.count(), 'count() after close');
    });

    it('for a compressed index, when it offers one (documents, fetch, version, artifacts): all or none of them', () =>
      withStore(async (s) => {
        const offered = [s.documents, s.fetch, s.version, s.artifacts].filter(Boolean).length;
        if (offered !== 0 && offered !== 4)
          fail(
            `the store offers ${offered} of documents(), fetch(), version() and artifacts; a compressed index needs all four`,
          );
      }));

    it('lists every document with its rows, fetches by id, and moves its version with every write', () =>
      withStore(async (s) => {
        if (!s.documents || !s.fetch || !s.version) return;
        await s.writeManifest(manifest);
        const docs = corpus(30, 13);
        const before = await s.version();
        await s.add(docs);
        const after = await s.version();
        if (after === before) fail(`version() stayed ${JSON.stringify(before)} across a write`);
        const seen = new Map<string, RowMatrix>();
        for await (const d of s.documents()) seen.set(d.id, d.vectors);
        expect(seen.size, 'documents()').toBe(30);
        for (const d of docs) sameRows(seen.get(d.id), d.vectors, `documents() ${d.id}`);
        const order = async () => {
          const ids: string[] = [];
          for await (const d of s.documents!()) ids.push(d.id);
          return ids.join();
        };
        expect(await order(), 'the same order twice').toBe(await order());
        const fetched = await s.fetch(['doc-3', 'missing', 'doc-17']);
        expect(fetched.map((h) => h.id).sort(), 'fetch ids').toEqual(['doc-17', 'doc-3']);
        for (const h of fetched) {
          const d = docs.find((x) => x.id === h.id)!;
          if (!h.vectors) fail(`fetch ${h.id}: no rows (an index rescores its candidates from them)`);
          sameRows(h.vectors, d.vectors, `fetch ${h.id}`);
          expect(h.text, `fetch ${h.id} text`).toBe(d.text);
          expect(h.metadata, `fetch ${h.id} metadata`).toEqual(d.metadata);
        }
        await s.upsert([{ ...docs[0]!, seq: 99 }]);
        if ((await s.version()) === after) fail('version() stayed the same across an upsert');
      }));

    it('keeps compressed rows (codes) byte for byte when it says it does (keepsCodes)', () =>
      withStore(async (s) => {
        if (!s.keepsCodes) return;
        if (!s.documents || !s.fetch) fail('keepsCodes needs documents() and fetch() to give the codes back');
        await s.writeManifest({ ...manifest, vectors: false });
        const codesOf = (i: number, n: number) => Uint8Array.from({ length: n }, (_, j) => (i * 31 + j * 7) & 0xff);
        const none = { rows: 0, dim: DIM, data: new Float32Array(0) };
        const docs = corpus(12, 16).map((d, i) => ({ ...d, vectors: none, codes: codesOf(i, 20 + i * 5) }));
        await s.add(docs);
        await s.upsert([{ ...docs[4]!, codes: codesOf(99, 40), seq: 40 }]);
        const want = new Map(docs.map((d) => [d.id, d.codes]));
        want.set(docs[4]!.id, codesOf(99, 40));
        const seen = new Map<string, Uint8Array | undefined>();
        for await (const d of s.documents!()) {
          seen.set(d.id, d.codes);
          expect(d.vectors.rows, `documents() ${d.id}: rows of a compressed-only record`).toBe(0);
        }
        const fetched = new Map((await s.fetch!(docs.map((d) => d.id))).map((h) => [h.id, h.codes]));
        for (const [id, codes] of want) {
          expect(Array.from(seen.get(id) ?? []), `documents() ${id}: codes`).toEqual(Array.from(codes));
          expect(Array.from(fetched.get(id) ?? []), `fetch ${id}: codes`).toEqual(Array.from(codes));
        }
      }));

    it('keeps named sets of files and replaces a set whole', () =>
      withStore(async (s) => {
        if (!s.artifacts) return;
        await s.writeManifest(manifest);
        await s.add(corpus(3, 14));
        const a = s.artifacts;
        expect(await a.read('plaid', 'x.bin'), 'a set never written').toBe(undefined);
        await a.write('plaid', { 'x.bin': Uint8Array.of(1, 2, 3), 'y.json': new TextEncoder().encode('{}') });
        expect(Array.from((await a.read('plaid', 'x.bin')) ?? []), 'x.bin').toEqual([1, 2, 3]);
        await a.write('plaid', { 'z.bin': Uint8Array.of(9) });
        expect(await a.read('plaid', 'x.bin'), 'a file of the replaced set').toBe(undefined);
        expect(Array.from((await a.read('plaid', 'z.bin')) ?? []), 'z.bin').toEqual([9]);
        await a.remove('plaid');
        expect(await a.read('plaid', 'z.bin'), 'after remove').toBe(undefined);
      }));

    it('filters by metadata, in idsWhere and in search, before the limit', () =>
      withStore(async (s) => {
        if (!s.idsWhere) {
          // A store that cannot filter must say so, never answer unfiltered.
          await s.add(corpus(3, 15));
          const e = await rejects(
            s.search(rows(2, rng(16)), { limit: 2, where: 'anything' }),
            'where, to a store without idsWhere',
          );
          if (!isTesseraError(e)) fail(`refusing a filter should be a TesseraError, got ${String(e)}`);
          return;
        }
        if (!options.filter) fail('the store has idsWhere: give the suite `filter` expressions in its language');
        const { equals, invalid } = options.filter!;
        const docs = corpus(30, 15);
        await s.writeManifest(manifest);
        await s.add(docs);
        const red = docs.filter((d) => d.metadata!.color === 'red');
        expect([...(await s.idsWhere(equals('color', 'red')))].sort(), 'idsWhere color = red').toEqual(
          red.map((d) => d.id).sort(),
        );
        expect(await s.idsWhere(equals('color', 'green')), 'idsWhere selecting nothing').toEqual([]);
        const query = rows(5, rng(16));
        const hits = await s.search(query, { limit: 4, where: equals('color', 'red') });
        expect(
          hits.map((h) => h.id),
          'the filtered top 4 (the best red documents, not the red ones among the best)',
        ).toEqual(exactTop(query, red, 4).map((h) => h.id));
        expect((await s.search(query, { limit: 4, where: equals('color', 'green') })).length, 'no match').toBe(0);
        // A write changes what the filter selects.
        await s.upsert([{ ...docs[1]!, metadata: { color: 'red' } }]);
        if (!(await s.idsWhere(equals('color', 'red'))).includes('doc-1'))
          fail('idsWhere color = red left out doc-1, which an upsert had just made red');
        for (const refused of [() => s.idsWhere!(invalid), () => s.search(query, { limit: 4, where: invalid })]) {
          const e = await rejects(refused(), `the filter ${JSON.stringify(invalid)}`);
          if (!isTesseraError(e, 'INVALID_FILTER'))
            fail(`a refused filter should be a TesseraError INVALID_FILTER, got ${String(e)}`);
          if (!(e as Error).message.includes(invalid))
            fail(`the refusal should name the filter ${JSON.stringify(invalid)}: ${(e as Error).message}`);
        }
      }));

    if (options.reopen) {
      it('holds its documents and manifest after close and reopen', async () => {
        const s = await options.open();
        const docs = corpus(40, 11);
        await s.writeManifest(manifest);
        await s.add(docs);
        await s.upsert([{ ...docs[0]!, seq: 77, source: 'again' }]);
        await s.close();
        const again = await options.reopen!(s);
        try {
          expect(await again.readManifest(), 'manifest').toEqual(manifest);
          expect(await again.count(), 'count').toBe(40);
          expect((await collect(again)).get('doc-0'), 'entry').toEqual({ source: 'again', seq: 77 });
          const query = rows(6, rng(12));
          expect(
            (await again.search(query, { limit: 5 })).map((h) => h.id),
            'top 5',
          ).toEqual(exactTop(query, docs, 5).map((h) => h.id));
        } finally {
          await again.close();
        }
      });
    }
  });
}
