import { expect, expectRejection } from './check.js';
import { registerBackend } from '../backend/registry.js';
import type { Backend } from '../backend/types.js';
import { isTesseraError } from '../errors.js';
import { Tessera, type CreateOptions } from '../tessera.js';
import type { DenseEmbedding, TokenEmbeddings } from '../types.js';
import { maxAbsDiff, maxAbsDiffArrays, readGolden, type ColbertGolden, type DenseGolden } from './golden.js';

export { maxAbsDiff, maxAbsDiffArrays, readGolden, type ColbertGolden, type DenseGolden } from './golden.js';
export { expect as check, expectRejection } from './check.js';

/** The four functions of a test runner the suite needs (vitest, node:test, mocha, jest all have them). */
export interface TestHarness {
  describe: (name: string, fn: () => void) => unknown;
  it: (name: string, fn: () => Promise<void> | void) => unknown;
  beforeAll: (fn: () => Promise<void> | void) => unknown;
  afterAll: (fn: () => Promise<void> | void) => unknown;
}

export interface ConformanceOptions {
  /** The backend under test. */
  backend: Backend;
  /**
   * Fixture folders (from @tessera/fixtures). stanford and pylate are required; dense,
   * distilbert and roberta run when given (pass only what the backend's architectures cover).
   */
  fixtures: { stanford: string; pylate: string; dense?: string; distilbert?: string; roberta?: string };
  device?: string;
  /** Extra options for Tessera.create (threads, backendOptions, ...). */
  createOptions?: Partial<CreateOptions>;
  /** Golden tolerance; the reference outputs are float32 PyTorch. */
  goldenTolerance?: number;
  /** Batched vs one-at-a-time tolerance. */
  batchTolerance?: number;
}

/** Mixed lengths: short, long, empty, punctuation, over-long. */
const MIXED = [
  'a',
  'Late interaction keeps one vector per token and scores with MaxSim over the document tokens.',
  '',
  'Paris is the capital of France.',
  'word '.repeat(400),
  '!!! ??? ...',
  'The quick brown fox jumps over the lazy dog, then naps in the afternoon sun for hours.',
  'short one',
];

function rowsEqual(a: TokenEmbeddings, b: TokenEmbeddings, tol: number): void {
  expect(a.rows).toBe(b.rows);
  expect([...a.tokenIds]).toEqual([...b.tokenIds]);
  expect(maxAbsDiffArrays(a.data, b.data)).toBeLessThanOrEqual(tol);
}

/**
 * The shared test cases every backend package runs in its own test suite:
 * golden parity, batched == one-at-a-time, order, empty batch, single item, truncation,
 * concurrent calls, streaming and dispose.
 */
export function defineConformanceSuite(harness: TestHarness, options: ConformanceOptions): void {
  const { describe, it, beforeAll, afterAll } = harness;
  const goldenTol = options.goldenTolerance ?? 1e-4;
  const batchTol = options.batchTolerance ?? 1e-5;
  const name = options.backend.name;
  registerBackend(options.backend);
  const create = (model: string, extra: Partial<CreateOptions> = {}) =>
    Tessera.create({ model, backend: options.backend, device: options.device ?? 'cpu', ...options.createOptions, ...extra });

  const colbertFixtures: Array<[string, string]> = [
    ['stanford', options.fixtures.stanford],
    ['pylate', options.fixtures.pylate],
  ];
  if (options.fixtures.distilbert) colbertFixtures.push(['DistilBERT', options.fixtures.distilbert]);
  if (options.fixtures.roberta) colbertFixtures.push(['RoBERTa', options.fixtures.roberta]);
  for (const [layout, dir] of colbertFixtures) {
    describe(`${name} conformance: ColBERT ${layout} layout`, () => {
      const golden = readGolden<ColbertGolden>(dir);
      let t: Tessera;
      beforeAll(async () => {
        t = await create(dir);
      });
      afterAll(async () => {
        await t?.dispose();
      });

      it('matches the reference query token ids and embeddings', async () => {
        const qs = await t.encodeQueries(golden.queries.map((q) => q.text));
        golden.queries.forEach((g, i) => {
          expect([...qs[i]!.tokenIds], `query ${i} ids`).toEqual(g.input_ids);
          expect(qs[i]!.rows).toBe(golden.query_length);
          expect(maxAbsDiff(g.embeddings, qs[i]!.data, golden.dim), `query ${i}`).toBeLessThanOrEqual(goldenTol);
        });
      });

      it('matches the reference document token ids, kept rows and embeddings', async () => {
        const ds = await t.encodeDocuments(golden.documents.map((d) => d.text));
        golden.documents.forEach((g, i) => {
          expect([...ds[i]!.tokenIds], `document ${i} kept ids`).toEqual(g.kept_ids);
          expect(ds[i]!.tokens).toBe(g.input_ids.length);
          expect(maxAbsDiff(g.embeddings, ds[i]!.data, golden.dim), `document ${i}`).toBeLessThanOrEqual(goldenTol);
        });
      });

      it('matches the reference MaxSim matrix', async () => {
        const qs = await t.encodeQueries(golden.queries.map((q) => q.text));
        const ds = await t.encodeDocuments(golden.documents.map((d) => d.text));
        qs.forEach((q, i) => {
          const scores = t.score(q, ds);
          golden.maxsim[i]!.forEach((s, j) => expect(Math.abs(scores[j]! - s), `maxsim[${i}][${j}]`).toBeLessThanOrEqual(goldenTol * golden.query_length));
        });
      });

      it('gives the same rows batched as one at a time (mixed lengths)', async () => {
        for (const role of ['query', 'document'] as const) {
          const enc = (texts: string[], o = {}) => (role === 'query' ? t.encodeQueries(texts, o) : t.encodeDocuments(texts, o));
          const batched = await enc(MIXED, { maxBatchSize: 64, maxTokens: 1 << 20 });
          for (let i = 0; i < MIXED.length; i++) {
            const [single] = await enc([MIXED[i]!]);
            rowsEqual(batched[i]!, single!, batchTol);
          }
        }
      });

      it('keeps input order whatever the batching', async () => {
        const a = await t.encodeDocuments(MIXED, { maxBatchSize: 3, maxTokens: 100_000 });
        const b = await t.encodeDocuments(MIXED, { maxBatchSize: 1, sortByLength: false });
        a.forEach((x, i) => {
          expect(x.index).toBe(i);
          rowsEqual(x, b[i]!, batchTol);
        });
      });

      it('returns [] for an empty batch and one result for a single item', async () => {
        expect(await t.encodeQueries([])).toEqual([]);
        expect(await t.encodeDocuments([])).toEqual([]);
        const [one] = await t.encodeDocuments(['hello']);
        expect(one!.index).toBe(0);
        expect(one!.rows).toBeGreaterThan(0);
      });

      it('truncates over-long inputs to the model limits and says so', async () => {
        const [d] = await t.encodeDocuments(['token '.repeat(2000)]);
        expect(d!.truncated).toBe(true);
        expect(d!.tokens).toBe(golden.document_length);
        const [q] = await t.encodeQueries(['token '.repeat(200)]);
        expect(q!.truncated).toBe(true);
        expect(q!.rows).toBe(golden.query_length);
        const [s] = await t.encodeQueries(['short']);
        expect(s!.truncated).toBe(false);
      });

      it('handles concurrent calls without mixing results', async () => {
        const runs = await Promise.all([0, 1, 2, 3].map((k) => t.encodeDocuments(MIXED.slice(k), { maxBatchSize: 2 })));
        const ref = await t.encodeDocuments(MIXED);
        runs.forEach((r, k) => r.forEach((x, i) => rowsEqual(x, ref[i + k]!, batchTol)));
      });

      it('streams an iterable with the same results, in order', async () => {
        const ref = await t.encodeDocuments(MIXED);
        const got: TokenEmbeddings[] = [];
        async function* gen() {
          for (const m of MIXED) yield m;
        }
        for await (const r of t.encodeStream(gen(), { as: 'document', windowSize: 3 })) got.push(r as TokenEmbeddings);
        expect(got.map((g) => g.index)).toEqual(MIXED.map((_, i) => i));
        got.forEach((g, i) => rowsEqual(g, ref[i]!, batchTol));
      });

      it('rejects non-string inputs naming the index', async () => {
        await expectRejection(t.encodeDocuments(['ok', 42 as unknown as string]), /index 1/);
      });
    });
  }

  const dense = options.fixtures.dense;
  if (dense) {
    describe(`${name} conformance: sentence-transformers dense layout`, () => {
      const golden = readGolden<DenseGolden>(dense);
      it('matches the reference pooled embeddings and cosine matrix', async () => {
        const t = await create(dense);
        try {
          const out: DenseEmbedding[] = await t.encodeDense(golden.texts.map((x) => x.text));
          golden.texts.forEach((g, i) => {
            expect(out[i]!.tokens).toBe(g.input_ids.length);
            expect(maxAbsDiffArrays(out[i]!.data, Float32Array.from(g.embedding)), `text ${i}`).toBeLessThanOrEqual(goldenTol);
          });
          golden.cosine.forEach((row, i) => row.forEach((c, j) => expect(Math.abs(t.similarity(out[i]!, out[j]!) - c)).toBeLessThanOrEqual(goldenTol)));
          const single = await t.encodeDense([golden.texts[3]!.text]);
          expect(maxAbsDiffArrays(single[0]!.data, out[3]!.data)).toBeLessThanOrEqual(batchTol);
        } finally {
          await t.dispose();
        }
      });
    });
  }

  describe(`${name} conformance: lifecycle`, () => {
    it('refuses calls after dispose with a DISPOSED error', async () => {
      const t = await create(options.fixtures.stanford);
      await t.dispose();
      await t.dispose();
      let err: unknown;
      try {
        await t.encodeQueries(['x']);
      } catch (e) {
        err = e;
      }
      expect(isTesseraError(err, 'DISPOSED')).toBe(true);
    });

    it('lists at least the cpu device', async () => {
      const devices = await options.backend.devices();
      expect(devices.find((d) => d.id === 'cpu')?.available).toBe(true);
    });
  });
}
