import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtures } from '@tessera/fixtures';
import { type IndexDocument, MemoryStore, maxSim, registerBackend, type StoreRecord, Tessera } from '../src/index.js';
import {
  CODEC_SET,
  compressDocuments,
  decodeRows,
  manifestFor,
  readCodec,
  searchStore,
  trainCodec,
  updateLateIndex,
} from '../src/store-kit.js';
import { codecFiles } from '../src/plaid/codec-files.js';
import { syntheticColbertCorpus } from '../src/testing/synthetic-corpus.js';
import { errorOf, hashed } from './helpers.js';

const words =
  'paris france capital banana yellow river mountain city fruit music green ocean violin harbour winter garden'.split(
    ' ',
  );
/** Documents of 4 to 12 words drawn by a generator seeded with their number: distinct texts. */
const docsOf = (n: number, from = 0): IndexDocument[] =>
  Array.from({ length: n }, (_, j) => {
    const i = from + j;
    let s = (i + 1) * 2654435761;
    const next = () => {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      return s;
    };
    return { id: `d${i}`, text: Array.from({ length: 4 + (i % 9) }, () => words[next() % words.length]).join(' ') };
  });

let t: Tessera;
beforeAll(async () => {
  registerBackend(hashed);
  t = await Tessera.create({ model: fixtures.pylate, backend: 'hashed' });
});
afterAll(() => t.dispose());

/** Notes, at each write, whether the codec was already stored. */
class Watched extends MemoryStore {
  writesBeforeCodec = 0;
  writes = 0;
  override async add(records: readonly StoreRecord[]): Promise<void> {
    this.writes++;
    if (!(await this.artifacts.read(CODEC_SET, 'codec.json'))) this.writesBeforeCodec++;
    return super.add(records);
  }
}

async function records(store: MemoryStore): Promise<Map<string, { rows: number; codes?: Uint8Array }>> {
  const out = new Map<string, { rows: number; codes?: Uint8Array }>();
  for await (const d of store.documents())
    out.set(d.id, { rows: d.vectors.rows, ...(d.codes ? { codes: d.codes } : {}) });
  return out;
}

describe('a compressed-only index (vectors: false, tessera index --no-vectors)', () => {
  it('trains the codec on the first documents before writing any, stores codes only, and searches decoded rows', async () => {
    const store = new Watched();
    const docs = docsOf(300);
    const s = await t.index(store, docs, {
      vectors: false,
      windowSize: 32,
      keepText: true,
      codec: { trainDocuments: 100, centroids: 64 },
    });
    expect(s).toMatchObject({ written: 300, total: 300, encoded: 300 });
    expect(store.writes).toBeGreaterThan(5);
    expect(store.writesBeforeCodec).toBe(0);
    expect((await store.readManifest())!.vectors).toBe(false);
    const codec = (await readCodec(store))!;
    expect(codec).toMatchObject({ k: 64, dim: t.dimension });
    const stored = await records(store);
    expect(stored.size).toBe(300);
    for (const r of stored.values()) {
      expect(r.rows).toBe(0);
      expect(r.codes!.length).toBeGreaterThan(0);
    }

    // The rows decoded from the codes stand close to the model's (a float-row index of the same texts).
    const plain = new MemoryStore();
    await t.index(plain, docs);
    let cos = 0;
    let n = 0;
    for await (const d of plain.documents()) {
      const back = decodeRows(stored.get(d.id)!.codes!, codec, d.id);
      expect(back.rows).toBe(d.vectors.rows);
      for (let r = 0; r < back.rows; r++) {
        let dot = 0;
        for (let c = 0; c < back.dim; c++) dot += back.data[r * back.dim + c]! * d.vectors.data[r * back.dim + c]!;
        cos += dot;
        n++;
      }
    }
    expect(cos / n).toBeGreaterThan(0.9);

    expect(await updateLateIndex(store)).toMatchObject({ mode: 'built', documents: 300, centroids: 64 });
    const [q] = await t.encodeQueries([docs[123]!.text]);
    const report = await t.searchReport(store, docs[123]!.text, { topK: 5 });
    expect(report).toMatchObject({ path: 'index', scores: 'decompressed' });
    expect(report.note).toMatch(/decoded from the compressed-only index/);
    expect(report.results[0]!.text).toBe(docs[123]!.text);
    for (const r of report.results)
      expect(r.score).toBeCloseTo(maxSim(q!, decodeRows(stored.get(r.id)!.codes!, codec, r.id)), 5);
    // The same ranking as the float rows' exact search, here where the texts differ plainly.
    const exact = await t.searchReport(plain, docs[123]!.text, { topK: 5, exact: true });
    expect(report.results[0]!.id).toBe(exact.results[0]!.id);
  });

  it('brings a missing or stale index up to date from the codes before it searches (a killed run), and refuses what needs float rows', async () => {
    const store = new MemoryStore();
    await t.index(store, [], { vectors: false });
    expect(await t.searchReport(store, 'paris')).toMatchObject({ results: [], path: 'index' });
    // t.index() alone leaves the search index to the caller: as after a run killed before it.
    await t.index(store, docsOf(60), { vectors: false, codec: { centroids: 16 } });
    const first = await t.searchReport(store, docsOf(1, 7)[0]!.text, { topK: 1 });
    expect(first).toMatchObject({ path: 'index', scores: 'decompressed' });
    expect(first.note).toMatch(/brought up to date from the stored codes first \(60 documents added, 0 dropped\)/);
    expect((await t.searchReport(store, 'paris')).note).not.toMatch(/brought up to date/);
    const exact = await errorOf(t.search(store, 'paris', { exact: true }));
    expect(exact).toMatchObject({ code: 'INVALID_OPTION' });
    expect(exact.message).toMatch(/compressed-only .*keeps no float rows: an exact search needs them/);
    await t.index(store, docsOf(10, 60));
    const stale = await t.searchReport(store, 'paris');
    expect(stale.note).toMatch(/\(10 documents added, 0 dropped\)/);
    expect(await t.updateSearchIndex(store)).toMatchObject({ mode: 'unchanged', documents: 70 });
    // The new documents answer: the same best document as the float rows' exact search of the 70.
    const floats = new MemoryStore();
    await t.index(floats, docsOf(70));
    const query = docsOf(1, 65)[0]!.text;
    const want = (await t.search(floats, query, { topK: 1, exact: true }))[0]!.id;
    expect((await t.search(store, query, { topK: 1 }))[0]!.id).toBe(want);

    for (const [options, field] of [
      [{ poolFactor: 2 }, 'pool'],
      [{ nbits: 4 as const }, 'nbits 2'],
      [{ centroids: 8 }, '16 centroids'],
    ] as const) {
      const e = await errorOf(t.buildSearchIndex(store, options));
      expect(e).toMatchObject({ code: 'INVALID_OPTION' });
      expect(e.message).toContain(field);
    }
    const mixed = await errorOf(t.index(store, docsOf(3, 100), { vectors: true }));
    expect(mixed.message).toMatch(/compressed-only .*cannot take float rows/);
    const plain = new MemoryStore();
    await t.index(plain, docsOf(3));
    expect((await errorOf(t.index(plain, docsOf(3, 3), { vectors: false }))).message).toMatch(/keeps float rows/);
    expect((await errorOf(t.index(store, docsOf(3), { codec: { nbits: 4 } }))).message).toMatch(/nbits 4 asked.*has 2/);
    // A store that would drop the codes is refused before anything is written to it.
    const forgetful = new MemoryStore();
    Object.defineProperty(forgetful, 'keepsCodes', { value: false });
    expect((await errorOf(t.index(forgetful, docsOf(3), { vectors: false }))).message).toMatch(
      /cannot hold a compressed-only index \(it needs keepsCodes/,
    );
    expect(await forgetful.readManifest()).toBeUndefined();
    expect(
      (await errorOf(t.index(new MemoryStore(), docsOf(3), { vectors: false, codec: { trainDocuments: 0 } }))).message,
    ).toMatch(/trainDocuments must be a positive integer/);
  });

  it('resumes with the codec it trained, and writes nothing when stopped before the sample filled', async () => {
    const store = new MemoryStore();
    const stop = new AbortController();
    const early = await t.index(store, docsOf(200), {
      vectors: false,
      windowSize: 20,
      codec: { trainDocuments: 100, centroids: 32 },
      signal: stop.signal,
      onProgress: (p) => {
        if (p.encoded >= 40) stop.abort();
      },
    });
    expect(early).toMatchObject({ stopped: true, written: 0, total: 0 });
    expect(await readCodec(store)).toBeUndefined();

    const again = new AbortController();
    const half = await t.index(store, docsOf(200), {
      vectors: false,
      windowSize: 20,
      codec: { trainDocuments: 100, centroids: 32 },
      signal: again.signal,
      onProgress: (p) => {
        if (p.written >= 140) again.abort();
      },
    });
    expect(half.stopped).toBe(true);
    const codecBytes = await store.artifacts.read(CODEC_SET, 'centroids.f32');
    const rest = await t.index(store, docsOf(200), { codec: { trainDocuments: 5 } });
    expect(rest).toMatchObject({ alreadyIndexed: half.total, written: 200 - half.total, total: 200 });
    expect(
      Buffer.from((await store.artifacts.read(CODEC_SET, 'centroids.f32'))!).equals(Buffer.from(codecBytes!)),
    ).toBe(true);
    expect((await records(store)).size).toBe(200);
  });

  it('names a damaged codec file or a document whose codes do not fit', async () => {
    const store = new MemoryStore();
    await t.index(store, docsOf(40), { vectors: false, codec: { centroids: 8 } });
    const weights = (await store.artifacts.read(CODEC_SET, 'weights.f32'))!;
    const files = Object.fromEntries(
      await Promise.all(
        ['codec.json', 'centroids.f32', 'cutoffs.f32', 'weights.f32'].map(async (f) => [
          f,
          (await store.artifacts.read(CODEC_SET, f))!,
        ]),
      ),
    );
    weights[3]! ^= 0xff;
    await store.artifacts.write(CODEC_SET, { ...files, 'weights.f32': weights });
    const e = await errorOf(t.updateSearchIndex(store));
    expect(e).toMatchObject({ code: 'CORRUPT_FILE' });
    expect(e.message).toContain(`memory/${CODEC_SET}/weights.f32`);
    await store.artifacts.write(CODEC_SET, files);
    const bad = { ...(await store.fetch(['d7']))[0]! };
    await store.upsert([
      {
        id: 'd7',
        source: 'api',
        seq: 7,
        vectors: { rows: 0, dim: t.dimension, data: new Float32Array(0) },
        codes: bad.codes!.subarray(1),
      },
    ]);
    const cut = await errorOf(t.updateSearchIndex(store));
    expect(cut).toMatchObject({ code: 'CORRUPT_FILE' });
    expect(cut.message).toMatch(/document "d7": its stored codes are \d+ bytes, not whole rows/);
  });
});

describe('compressed-only search at scale (synthetic ColBERT corpus)', () => {
  it('loses little to decoding every document, which is what codes alone can rank by', async () => {
    const dim = 32;
    const corpus = syntheticColbertCorpus({ documents: 1500, queries: 30, dim, docRows: [10, 60], seed: 5 });
    const floats = new MemoryStore();
    await floats.add(corpus.docs.map((vectors, i) => ({ id: `d${i}`, vectors, source: 's', seq: i })));
    const truth: Set<string>[] = [];
    for (const q of corpus.queries)
      truth.push(new Set((await searchStore(floats, q, { topK: 10, exact: true })).results.map((r) => r.id)));
    // The codec from the first 500 documents, as the indexer trains it up front.
    const sample = corpus.docs.slice(0, 500);
    const rows = sample.reduce((n, d) => n + d.rows, 0);
    const flat = new Float32Array(rows * dim);
    let at = 0;
    for (const d of sample) {
      flat.set(d.data.subarray(0, d.rows * dim), at);
      at += d.rows * dim;
    }
    const recall = {} as Record<number, { index: number; decoded: number }>;
    for (const nbits of [2, 4] as const) {
      const trained = await trainCodec(flat, rows, dim, 500, 1500, { nbits, centroids: 512 });
      const codes = await compressDocuments(
        corpus.docs.map((vectors, i) => ({ id: `d${i}`, vectors })),
        trained,
      );
      const store = new MemoryStore();
      await store.writeManifest({ ...(await manifestFor(t)), dimension: dim, vectors: false });
      await store.artifacts.write(CODEC_SET, codecFiles(trained));
      await store.add(
        corpus.docs.map((_, i) => ({
          id: `d${i}`,
          vectors: { rows: 0, dim, data: new Float32Array(0) },
          codes: codes[i]!,
          source: 's',
          seq: i,
        })),
      );
      expect(await updateLateIndex(store)).toMatchObject({ mode: 'built', documents: 1500, nbits });
      const decoded = codes.map((c, i) => decodeRows(c, trained, `d${i}`));
      let viaIndex = 0;
      let everyDecoded = 0;
      for (const [qi, q] of corpus.queries.entries()) {
        const got = await searchStore(store, q, { topK: 10 });
        expect(got).toMatchObject({ path: 'index', scores: 'decompressed' });
        viaIndex += got.results.filter((r) => truth[qi]!.has(r.id)).length;
        const best = decoded.map((d, i) => ({ s: maxSim(q, d), i })).sort((a, b) => b.s - a.s);
        everyDecoded += best.slice(0, 10).filter((b) => truth[qi]!.has(`d${b.i}`)).length;
      }
      recall[nbits] = { index: viaIndex / 300, decoded: everyDecoded / 300 };
    }
    // Codes bound the ranking (the residuals' precision); the index's stages lose little more.
    for (const nbits of [2, 4]) expect(recall[nbits]!.index).toBeGreaterThanOrEqual(recall[nbits]!.decoded - 0.05);
    expect(recall[2]!.index).toBeGreaterThanOrEqual(0.65);
    expect(recall[4]!.index).toBeGreaterThanOrEqual(0.8);
    expect(recall[4]!.decoded).toBeGreaterThan(recall[2]!.decoded);
  });
});
