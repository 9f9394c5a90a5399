import fc from 'fast-check';
import { assertProperty } from '@tessera/fixtures/property';
import { describe, expect, it } from 'vitest';
import {
  maxSim,
  MemoryStore,
  type RowMatrix,
  type StoreHit,
  type StoreSearchOptions,
  TesseraError,
} from '../src/index.js';
import {
  buildLateIndex,
  buildPlaidIndex,
  kmeans,
  loadLateIndex,
  parsePlaidFiles,
  plaidCentroidCount,
  plaidFiles,
  searchStore,
} from '../src/store-kit.js';
import { decodeRow, encodeResidual, fitCodec, residualBytes } from '../src/plaid/codec.js';
import { dotScores, dotScoresJs } from '../src/plaid/dot-scores.js';
import { centroidInteraction, documentCentroids, interactionJs, paddedRows } from '../src/plaid/interaction.js';
import { syntheticColbertCorpus } from '../src/testing/synthetic-corpus.js';
import { errorOf } from './helpers.js';

const DIM = 32;
const corpus = syntheticColbertCorpus({ documents: 1500, queries: 40, dim: DIM, docRows: [10, 60] });

async function storeOf(docs: RowMatrix[]): Promise<MemoryStore> {
  const store = new MemoryStore();
  await store.add(docs.map((vectors, i) => ({ id: `d${i}`, vectors, source: 'synthetic', seq: i })));
  return store;
}

const cosine = (a: Float32Array, b: Float32Array) => {
  let d = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    d += a[i]! * b[i]!;
    na += a[i]! ** 2;
    nb += b[i]! ** 2;
  }
  return d / Math.sqrt(na * nb);
};

describe('compressed index kernels', () => {
  it("scores row sets in the SIMD kernel as plain loops do, for any row counts and PLAID's centroid count", () => {
    const a = corpus.docs[0]!;
    const b = corpus.docs[1]!;
    const simd = dotScores(a.data, a.rows, b.data, b.rows, DIM);
    const js = dotScoresJs(a.data, a.rows, b.data, b.rows, DIM);
    for (let i = 0; i < js.length; i++) expect(simd[i]).toBeCloseTo(js[i]!, 5);
    expect([1000, 14_000, 11_700_000].map(plaidCentroidCount)).toEqual([256, 1024, 32768]);
  });

  it('k-means puts the rows of well separated clusters under one centroid each, one cluster a centroid', async () => {
    // Eight orthogonal directions (unit axes), forty noisy copies of each.
    const dim = 16;
    const rows = new Float32Array(8 * 40 * dim);
    for (let c = 0; c < 8; c++)
      for (let j = 0; j < 40; j++) {
        const o = (c * 40 + j) * dim;
        for (let d = 0; d < dim; d++) rows[o + d] = 0.05 * Math.sin(7 * j + 3 * d + c);
        rows[o + 2 * c] = 1;
      }
    // More centroids than clusters (random starts may split a cluster), none mixing two.
    const k = 16;
    const centroids = await kmeans(rows, 320, dim, k, { iterations: 6, seed: 3 });
    const scores = dotScores(rows, 320, centroids, k, dim);
    for (let i = 0; i < 320; i++) {
      let best = 0;
      for (let c = 1; c < k; c++) if (scores[i * k + c]! > scores[i * k + best]!) best = c;
      // The row's own axis dominates its centroid.
      expect(centroids[best * dim + 2 * Math.floor(i / 40)]).toBeGreaterThan(0.9);
    }
    for (let c = 0; c < k; c++)
      expect(
        cosine(centroids.subarray(c * dim, (c + 1) * dim), centroids.subarray(c * dim, (c + 1) * dim)),
      ).toBeCloseTo(1, 5);
  });

  it('packs residuals in nbits per value and decodes closer to the original rows as nbits grows', async () => {
    const rows = corpus.docs.slice(0, 200);
    const all = new Float32Array(rows.reduce((n, r) => n + r.rows, 0) * DIM);
    let at = 0;
    for (const r of rows) {
      all.set(r.data, at);
      at += r.data.length;
    }
    const n = all.length / DIM;
    const centroids = await kmeans(all, n, DIM, 64, { iterations: 4 });
    const codes = new Int32Array(n);
    const s = dotScores(all, n, centroids, 64, DIM);
    for (let i = 0; i < n; i++) for (let c = 1; c < 64; c++) if (s[i * 64 + c]! > s[i * 64 + codes[i]!]!) codes[i] = c;
    const residuals = Float32Array.from(all, (v, j) => v - centroids[codes[Math.floor(j / DIM)]! * DIM + (j % DIM)]!);
    const meanCosine = (nbits: 1 | 2 | 4) => {
      const codec = fitCodec(residuals, n, DIM, nbits);
      const packed = new Uint8Array(n * residualBytes(DIM, nbits));
      const out = new Float32Array(DIM);
      let sum = 0;
      for (let i = 0; i < n; i++) {
        encodeResidual(codec, residuals.subarray(i * DIM, (i + 1) * DIM), packed, i * residualBytes(DIM, nbits));
        decodeRow(codec, centroids, codes[i]! * DIM, packed, i * residualBytes(DIM, nbits), out);
        sum += cosine(out, all.subarray(i * DIM, (i + 1) * DIM));
      }
      return sum / n;
    };
    const [one, two, four] = [meanCosine(1), meanCosine(2), meanCosine(4)];
    expect(residualBytes(96, 2)).toBe(24);
    expect(two).toBeGreaterThan(0.9);
    expect(one).toBeLessThan(two);
    expect(two).toBeLessThan(four);
  });
});

describe('centroid interaction', () => {
  it('scores documents in the SIMD kernel as plain loops do, pruned or not, for query lengths off the SIMD width', async () => {
    const store = await storeOf(corpus.docs.slice(0, 400));
    await buildLateIndex(store, { centroids: 128 });
    const { index } = (await loadLateIndex(store))!;
    const docs = Uint32Array.from({ length: 150 }, (_, i) => (i * 7) % 400);
    for (const qRows of [32, 5, 1]) {
      const qPad = paddedRows(qRows);
      const scoresT = new Float32Array(index.k * qPad).fill(-Infinity);
      for (let c = 0; c < index.k; c++)
        for (let q = 0; q < qRows; q++) scoresT[c * qPad + q] = Math.sin(c * 31 + q * 7);
      const allowed = Uint8Array.from({ length: index.k }, (_, c) => (c % 3 ? 1 : 0));
      for (const mask of [undefined, allowed]) {
        const simd = centroidInteraction(index, scoresT, qPad, docs, mask);
        const js = interactionJs(documentCentroids(index), scoresT, qPad, docs, mask);
        for (let j = 0; j < docs.length; j++)
          expect(simd[j], `query of ${qRows} rows, document ${docs[j]}`).toBeCloseTo(js[j]!, 4);
      }
    }
  });
});

describe('search through the compressed index', () => {
  it('returns the exact top 10 for at least 95% of results, with the exact MaxSim scores', async () => {
    const store = await storeOf(corpus.docs);
    const built = await buildLateIndex(store, { centroids: 1024 });
    expect(built).toMatchObject({ documents: 1500, centroids: 1024, nbits: 2 });
    let shared = 0;
    for (const q of corpus.queries) {
      const approx = await searchStore(store, q, { topK: 10 });
      const exact = await searchStore(store, q, { topK: 10, exact: true });
      expect(approx.path).toBe('index');
      expect(exact.path).toBe('exact');
      // On the calling thread alone, the same answer (the default splits the stages over the cores).
      expect((await searchStore(store, q, { topK: 10, threads: 1 })).results).toEqual(approx.results);
      const truth = new Map(exact.results.map((r) => [r.id, r.score]));
      for (const r of approx.results) {
        // Every score is exact MaxSim against the stored rows, whichever path found the document.
        expect(r.score).toBeCloseTo(maxSim(q, corpus.docs[Number(r.id.slice(1))]!), 5);
        if (truth.has(r.id)) shared++;
      }
    }
    const recall = shared / (10 * corpus.queries.length);
    expect(recall).toBeGreaterThanOrEqual(0.95);
    for (const threads of [0, 1.5])
      await expect(searchStore(store, corpus.queries[0]!, { threads })).rejects.toMatchObject({
        code: 'INVALID_OPTION',
        message: `threads must be a positive integer (got ${threads})`,
      });
  });

  it('goes back to the exact scan, saying why, once the store changes; a rebuild covers the new document', async () => {
    const store = await storeOf(corpus.docs.slice(0, 300));
    expect((await searchStore(store, corpus.queries[0]!, { topK: 3 })).note).toMatch(/no compressed index/);
    await buildLateIndex(store, { centroids: 256 });
    const q = corpus.queries[0]!;
    // A new document that is the query itself: the best possible match.
    await store.add([{ id: 'new', vectors: q, source: 'later', seq: 0 }]);
    const stale = await searchStore(store, q, { topK: 3 });
    expect(stale.path).toBe('exact');
    expect(stale.note).toMatch(/older than the documents/);
    expect(stale.results[0]!.id).toBe('new');
    await buildLateIndex(store, { centroids: 256 });
    const fresh = await searchStore(store, q, { topK: 3 });
    expect(fresh.path).toBe('index');
    expect(fresh.results[0]!.id).toBe('new');
  });

  it('restricts the candidates to a filter before scoring: small subsets scored whole, large ones through the stages', async () => {
    // A store that filters in a toy language: "every N" selects the documents d0, dN, d2N, ...
    class EveryNth extends MemoryStore {
      private selected(where: string): Set<string> {
        const n = Number(/^every (\d+)$/.exec(where)?.[1]);
        if (!(n > 0)) throw new TesseraError('INVALID_FILTER', `cannot read ${where}`, { where });
        return new Set(corpus.docs.flatMap((_, i) => (i % n ? [] : [`d${i}`])));
      }
      async idsWhere(where: string): Promise<string[]> {
        return [...this.selected(where)];
      }
      override async search(q: RowMatrix, o: StoreSearchOptions): Promise<StoreHit[]> {
        if (o.where === undefined) return super.search(q, o);
        const keep = this.selected(o.where);
        return (await super.search(q, { limit: 1e9 })).filter((h) => keep.has(h.id)).slice(0, o.limit);
      }
    }
    const store = new EveryNth();
    await store.add(corpus.docs.map((vectors, i) => ({ id: `d${i}`, vectors, source: 'synthetic', seq: i })));
    await buildLateIndex(store, { centroids: 1024 });
    const queries = corpus.queries.slice(0, 20);
    const exactScores = queries.map((q) => corpus.docs.map((d) => maxSim(q, d)));
    for (const [n, minRecall] of [
      [50, 1],
      [2, 0.95],
    ] as const) {
      let shared = 0;
      for (const [qi, q] of queries.entries()) {
        const truth = exactScores[qi]!.map((score, i) => ({ id: `d${i}`, score }))
          .filter((_, i) => i % n === 0)
          .sort((a, b) => b.score - a.score)
          .slice(0, 10)
          .map((h) => h.id);
        const got = await searchStore(store, q, { topK: 10, where: `every ${n}` });
        expect(got.path).toBe('index');
        expect(got.results).toHaveLength(10);
        for (const r of got.results) {
          expect(Number(r.id.slice(1)) % n, `${r.id} is outside the filter every ${n}`).toBe(0);
          if (truth.includes(r.id)) shared++;
        }
        if (qi < 2) {
          const exact = await searchStore(store, q, { topK: 10, where: `every ${n}`, exact: true });
          expect(exact.results.map((r) => r.id)).toEqual(truth);
        }
      }
      expect(shared / (10 * queries.length), `recall@10 within every ${n}`).toBeGreaterThanOrEqual(minRecall);
    }
    expect((await searchStore(store, corpus.queries[0]!, { topK: 10, where: 'every 99999' })).results).toEqual([
      expect.objectContaining({ id: 'd0' }),
    ]);
    expect(await errorOf(searchStore(store, corpus.queries[0]!, { where: 'nonsense' }))).toMatchObject({
      code: 'INVALID_FILTER',
    });
    // A store that cannot filter refuses the option rather than answer unfiltered.
    const plain = await storeOf(corpus.docs.slice(0, 20));
    expect(await errorOf(searchStore(plain, corpus.queries[0]!, { where: 'every 2' }))).toMatchObject({
      code: 'INVALID_OPTION',
      message: expect.stringMatching(/cannot filter/),
    });
  });

  it('builds the same index from the same store and seed', async () => {
    const store = await storeOf(corpus.docs.slice(0, 200));
    const source = { count: 200, version: '1', documents: () => store.documents() };
    const a = plaidFiles(await buildPlaidIndex(source, { centroids: 128, seed: 9 }));
    const b = plaidFiles(await buildPlaidIndex(source, { centroids: 128, seed: 9 }));
    expect(Object.keys(a)).toEqual(Object.keys(b));
    for (const name of Object.keys(a)) expect(Buffer.from(a[name]!).equals(Buffer.from(b[name]!)), name).toBe(true);
  });

  it('refuses bad build options and an empty store by name', async () => {
    const store = await storeOf(corpus.docs.slice(0, 10));
    expect((await errorOf(buildLateIndex(store, { nbits: 3 as never }))).message).toMatch(/nbits must be 1, 2 or 4/);
    expect((await errorOf(buildLateIndex(new MemoryStore()))).message).toMatch(/holds no documents/);
  });
});

describe('index files', () => {
  const files = async () => {
    const store = await storeOf(corpus.docs.slice(0, 100));
    await buildLateIndex(store, { centroids: 64 });
    return plaidFiles((await loadLateIndex(store))!.index);
  };

  it('read back to the same index', async () => {
    const f = await files();
    const again = plaidFiles(parsePlaidFiles(f, 'idx/plaid'));
    for (const name of Object.keys(f)) expect(Buffer.from(again[name]!).equals(Buffer.from(f[name]!)), name).toBe(true);
  });

  it('name the file that is missing, cut or changed, and refuse another format version', async () => {
    const f = await files();
    const fail = async (changed: Record<string, Uint8Array | undefined>) =>
      errorOf(() => parsePlaidFiles({ ...f, ...changed }, 'idx/plaid'));
    const missing = await fail({ 'codes.u32': undefined });
    expect(missing.code).toBe('CORRUPT_FILE');
    expect(missing.message).toMatch(/idx\/plaid\/codes\.u32: missing/);
    const cut = await fail({ 'residuals.u8': f['residuals.u8']!.subarray(0, 100) });
    expect(cut.message).toMatch(/idx\/plaid\/residuals\.u8: 100 bytes, plaid\.json says \d+ \(cut or replaced\)/);
    for (const name of ['centroids.f32', 'ivf-docs.u32', 'ids.json', 'doc-offsets.u32', 'doc-origins.u32']) {
      const changed = f[name]!.slice();
      changed[Math.floor(changed.length / 2)]! ^= 0x5a;
      expect((await fail({ [name]: changed })).message).toContain(`idx/plaid/${name}: its checksum does not match`);
    }
    const meta = JSON.parse(new TextDecoder().decode(f['plaid.json']));
    const future = await fail({ 'plaid.json': new TextEncoder().encode(JSON.stringify({ ...meta, format: 3 })) });
    expect(future.code).toBe('INDEX_MISMATCH');
    expect(future.message).toMatch(/format 3, this Tessera reads format 2; rebuild it/);
    expect((await fail({ 'plaid.json': new TextEncoder().encode('{"format": 1') })).message).toMatch(
      /plaid\.json: not valid JSON/,
    );
  });

  it('name the damaged file for any byte changed or any cut, in any file (fuzzed)', async () => {
    const f = await files();
    const names = Object.keys(f);
    await assertProperty(
      fc.asyncProperty(
        fc.constantFrom(...names),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.integer({ min: 1, max: 255 }),
        fc.boolean(),
        async (name, where, xor, cut) => {
          const bytes = f[name]!;
          if (!bytes.length) return;
          const at = Math.min(bytes.length - 1, Math.floor(where * bytes.length));
          const changed = cut ? bytes.subarray(0, at) : bytes.slice();
          if (!cut) changed[at]! ^= xor;
          const parse = () => parsePlaidFiles({ ...f, [name]: changed }, 'idx/plaid');
          if (name === 'plaid.json') {
            // The header may change and stay meaningful (white space, the store version): then it
            // loads; otherwise the error names the header or a file that disagrees with it.
            try {
              parse();
            } catch (e) {
              expect(['CORRUPT_FILE', 'INDEX_MISMATCH']).toContain((e as { code?: string }).code);
              expect(String((e as Error).message)).toMatch(/idx\/plaid(\/[a-z.0-9-]+)?:/);
            }
            return;
          }
          const e = await errorOf(parse);
          expect(e.code).toBe('CORRUPT_FILE');
          expect(e.message).toContain(`idx/plaid/${name}:`);
        },
      ),
      { minRuns: 100, maxRuns: 400, seconds: 3, label: 'index files with a byte changed or cut' },
    );
  });

  it('name a damaged index when a search loads it', async () => {
    const f = await files();
    // The same documents in a new store, with the index files copied over and one of them changed.
    const store = await storeOf(corpus.docs.slice(0, 100));
    const codes = f['codes.u32']!.slice();
    codes[5]! ^= 0xff;
    await store.artifacts.write('plaid', { ...f, 'codes.u32': codes });
    const e = await errorOf(searchStore(store, corpus.queries[0]!, { topK: 3 }));
    expect(e.message).toMatch(/memory\/plaid\/codes\.u32: its checksum does not match/);
  });
});
