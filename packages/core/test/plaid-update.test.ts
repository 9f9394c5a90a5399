import { describe, expect, it } from 'vitest';
import { MemoryStore, type RowMatrix } from '../src/index.js';
import {
  buildLateIndex,
  loadLateIndex,
  PLAID_SET,
  plaidFiles,
  searchStore,
  updateLateIndex,
} from '../src/store-kit.js';
import { decodeRow, residualBytes } from '../src/plaid/codec.js';
import type { PlaidIndex } from '../src/plaid/plaid-index.js';
import { syntheticColbertCorpus } from '../src/testing/synthetic-corpus.js';

const DIM = 32;
const corpus = syntheticColbertCorpus({ documents: 1200, queries: 30, dim: DIM, docRows: [10, 60], seed: 11 });

async function storeOf(docs: RowMatrix[], from = 0): Promise<MemoryStore> {
  const store = new MemoryStore();
  await add(store, docs, from);
  return store;
}
const add = (store: MemoryStore, docs: RowMatrix[], from: number) =>
  store.add(docs.map((vectors, i) => ({ id: `d${from + i}`, vectors, source: 'synthetic', seq: from + i })));

/** Document `id`'s rows as the index decodes them. */
function decoded(index: PlaidIndex, id: string): Float32Array[] {
  const d = index.ids.indexOf(id);
  const rb = residualBytes(index.dim, index.codec.nbits);
  const out: Float32Array[] = [];
  for (let r = index.docOffsets[d]!; r < index.docOffsets[d + 1]!; r++) {
    const row = new Float32Array(index.dim);
    decodeRow(index.codec, index.centroids, index.codes[r]! * index.dim, index.residuals, r * rb, row);
    out.push(row);
  }
  return out;
}
const meanCosine = (rows: Float32Array[], m: RowMatrix) =>
  rows.reduce((s, row, r) => {
    let d = 0;
    for (let i = 0; i < m.dim; i++) d += row[i]! * m.data[r * m.dim + i]!;
    return s + d;
  }, 0) / rows.length;

async function recallAt10(store: MemoryStore): Promise<number> {
  let shared = 0;
  for (const q of corpus.queries) {
    const approx = await searchStore(store, q, { topK: 10 });
    expect(approx.path).toBe('index');
    const truth = new Set((await searchStore(store, q, { topK: 10, exact: true })).results.map((r) => r.id));
    shared += approx.results.filter((r) => truth.has(r.id)).length;
  }
  return shared / (10 * corpus.queries.length);
}

describe('updating the compressed index after writes', () => {
  it('encodes only the new documents against the trained centroids, keeps the rest byte for byte, and searches them all', async () => {
    const store = await storeOf(corpus.docs.slice(0, 800));
    await buildLateIndex(store, { centroids: 512 });
    const before = (await loadLateIndex(store))!.index;
    await add(store, corpus.docs.slice(800), 800);
    const s = await updateLateIndex(store);
    expect(s).toMatchObject({ mode: 'updated', added: 400, removed: 0, documents: 1200, centroids: 512 });
    expect(s.advice).toBeUndefined();
    const after = (await loadLateIndex(store))!;
    expect(after.fresh).toBe(true);
    expect(Buffer.from(after.index.centroids.buffer).equals(Buffer.from(before.centroids.buffer))).toBe(true);
    const rb = residualBytes(DIM, 2);
    for (const id of ['d0', 'd399', 'd799']) {
      const [b, a] = [before.ids.indexOf(id), after.index.ids.indexOf(id)];
      const span = (ix: PlaidIndex, d: number) => [ix.docOffsets[d]!, ix.docOffsets[d + 1]!] as const;
      const [b0, b1] = span(before, b);
      const [a0, a1] = span(after.index, a);
      expect([...after.index.codes.subarray(a0, a1)]).toEqual([...before.codes.subarray(b0, b1)]);
      expect(
        Buffer.from(after.index.residuals.subarray(a0 * rb, a1 * rb)).equals(
          Buffer.from(before.residuals.subarray(b0 * rb, b1 * rb)),
        ),
      ).toBe(true);
    }
    // A query that is a new document's own rows finds it through the index.
    const own = await searchStore(store, corpus.docs[1100]!, { topK: 1 });
    expect(own).toMatchObject({ path: 'index', results: [{ id: 'd1100' }] });
    expect(await updateLateIndex(store)).toMatchObject({ mode: 'unchanged', added: 0, removed: 0 });
    // Recall of the updated index against a full build of the same 1200 documents.
    const updated = await recallAt10(store);
    await buildLateIndex(store, { centroids: 512 });
    const rebuilt = await recallAt10(store);
    expect(updated).toBeGreaterThanOrEqual(0.9);
    expect(updated).toBeGreaterThanOrEqual(rebuilt - 0.03);
  });

  it("drops a replaced document's old codes: the index decodes its new rows, and the old rows no longer find it", async () => {
    const store = await storeOf(corpus.docs.slice(0, 300));
    await buildLateIndex(store, { centroids: 256 });
    // d5 now holds d900's rows, written from another source (a newer version of the document).
    await store.upsert([{ id: 'd5', vectors: corpus.docs[900]!, source: 'edited', seq: 0 }]);
    const s = await updateLateIndex(store);
    expect(s).toMatchObject({ mode: 'updated', added: 1, removed: 1, documents: 300 });
    const index = (await loadLateIndex(store))!.index;
    expect(index.ids.filter((id) => id === 'd5')).toHaveLength(1);
    const rows = decoded(index, 'd5');
    expect(rows).toHaveLength(corpus.docs[900]!.rows);
    expect(meanCosine(rows, corpus.docs[900]!)).toBeGreaterThan(0.8);
    const old = await searchStore(store, corpus.docs[5]!, { topK: 3 });
    expect(old.path).toBe('index');
    expect(old.results.map((r) => r.id)).not.toContain('d5');
    expect((await searchStore(store, corpus.docs[900]!, { topK: 1 })).results[0]!.id).toBe('d5');
  });

  it('says when the corpus has doubled since training, and builds instead when the shape asked differs or the files are unreadable', async () => {
    const store = await storeOf(corpus.docs.slice(0, 200));
    const built = await updateLateIndex(store, { centroids: 128 });
    expect(built).toMatchObject({ mode: 'built', added: 200, removed: 0 });
    await add(store, corpus.docs.slice(200, 700), 200);
    const grown = await updateLateIndex(store);
    expect(grown.mode).toBe('updated');
    expect(grown.advice).toMatch(/grown from \d+ to \d+ token rows .* rebuild it \(tessera index --rebuild/);
    await add(store, corpus.docs.slice(700, 710), 700);
    const other = await updateLateIndex(store, { nbits: 4 });
    expect(other).toMatchObject({ mode: 'built', nbits: 4, rebuiltBecause: 'nbits 4 asked, the index has 2' });
    expect(other.advice).toBeUndefined();
    // An index written by an older Tessera (format 1) is rebuilt, not read.
    const files = plaidFiles((await loadLateIndex(store))!.index);
    const meta = JSON.parse(new TextDecoder().decode(files['plaid.json']));
    await store.artifacts.write(PLAID_SET, {
      ...files,
      'plaid.json': new TextEncoder().encode(JSON.stringify({ ...meta, format: 1 })),
    });
    await add(store, corpus.docs.slice(710, 720), 710);
    const again = await updateLateIndex(store);
    expect(again.mode).toBe('built');
    expect(again.rebuiltBecause).toMatch(/format 1, this Tessera reads format 2; rebuild it/);
  });

  it("pools rows before compression when asked (PyLate's rule), keeps exact scores, and pools what an update adds", async () => {
    const store = await storeOf(corpus.docs.slice(0, 600));
    const plain = await buildLateIndex(store, { centroids: 256 });
    const pooled = await buildLateIndex(store, { centroids: 256, poolFactor: 2 });
    expect(pooled.poolFactor).toBe(2);
    // Each document: its first row kept, the rest halved (rounded down, at least one).
    const want = corpus.docs.slice(0, 600).reduce((n, d) => n + 1 + Math.max(Math.floor((d.rows - 1) / 2), 1), 0);
    expect(pooled.rows).toBe(want);
    expect(pooled.rows).toBeLessThan(0.6 * plain.rows);
    // Pooling merges rows of distinct tokens on this synthetic corpus (no redundancy to pool), so
    // candidates need a wider decode stage (recall@10 0.81 at the default knobs here).
    const knobs = { ncells: 4, ndocs: 512, rescore: 128 };
    let shared = 0;
    for (const q of corpus.queries) {
      const approx = await searchStore(store, q, { topK: 10, knobs });
      expect(approx.path).toBe('index');
      const exact = await searchStore(store, q, { topK: 10, exact: true });
      const truth = new Map(exact.results.map((r) => [r.id, r.score]));
      for (const r of approx.results)
        if (truth.has(r.id)) {
          shared++;
          expect(r.score).toBeCloseTo(truth.get(r.id)!, 5);
        }
    }
    expect(shared / (10 * corpus.queries.length)).toBeGreaterThanOrEqual(0.9);
    await add(store, corpus.docs.slice(600, 610), 600);
    const s = await updateLateIndex(store);
    expect(s).toMatchObject({ mode: 'updated', added: 10, poolFactor: 2 });
    const index = (await loadLateIndex(store))!.index;
    const d = index.ids.indexOf('d605');
    expect(index.docOffsets[d + 1]! - index.docOffsets[d]!).toBe(
      1 + Math.max(Math.floor((corpus.docs[605]!.rows - 1) / 2), 1),
    );
    expect((await updateLateIndex(store, { poolFactor: 1 })).rebuiltBecause).toBe(
      'pool factor 1 asked, the index has 2',
    );
  });
});
