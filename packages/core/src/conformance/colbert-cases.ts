import { closeRows, expect, expectRejection, fail, quote, sameIds } from './check.js';
import { maxAbsDiffArrays, readGolden, type ColbertGolden, type GoldenText } from './golden.js';
import type { CaseContext } from './context.js';
import type { Tessera } from '../tessera.js';
import type { TokenEmbeddings } from '../types.js';

/** Mixed lengths: short, long, empty, punctuation, over-long, whitespace. */
export const MIXED = [
  'a',
  'Late interaction keeps one vector per token and scores with MaxSim over the document tokens.',
  '',
  'Paris is the capital of France.',
  'word '.repeat(400),
  '!!! ??? ...',
  'The quick brown fox jumps over the lazy dog, then naps in the afternoon sun for hours.',
  '  short one  ',
];

export function rowsEqual(a: TokenEmbeddings, b: TokenEmbeddings, tol: number, what: string): void {
  sameIds([...a.tokenIds], [...b.tokenIds], `${what}: kept token ids`, 'Batching changed which rows are kept');
  const d = maxAbsDiffArrays(a.data, b.data);
  if (!(d <= tol))
    fail(
      `${what}: rows differ by ${d.toExponential(2)} (> ${tol}). Likely cause: padding leaks into real tokens ` +
        `(the attention mask is not applied to padded keys), or state shared between calls`,
    );
}

/** The golden-parity cases every ColBERT fixture runs, and the full battery for main fixtures. */
export function colbertCases(c: CaseContext, fixture: { name: string; dir: string; variant: boolean }): void {
  const { it, beforeAll, afterAll, describe } = c.harness;
  const golden = readGolden<ColbertGolden>(fixture.dir);
  const label = `${c.backendName} conformance: ${fixture.name} (ColBERT, ${golden.layout})`;
  describe(label, () => {
    let t: Tessera;
    beforeAll(async () => {
      t = await c.create(fixture.dir);
    });
    afterAll(async () => {
      await t?.dispose();
    });

    const frames = (role: 'query' | 'document', entries: GoldenText[]) => async () => {
      const items = await t.prepare(
        entries.map((e) => e.text),
        role,
      );
      entries.forEach((g, i) => {
        const what = `${fixture.name} ${role} ${i} ${quote(g.text)}`;
        sameIds(
          items[i]!.ids,
          g.input_ids,
          `${what} input ids`,
          'Tokenization or framing differs: markers, prompts, lowercasing, truncation or query expansion',
        );
        sameIds(
          items[i]!.attention,
          g.attention_mask,
          `${what} attention mask`,
          'Which positions the encoder attends to differs (attend to expansion tokens?)',
        );
        sameIds(
          items[i]!.scored ?? items[i]!.attention,
          g.scored,
          `${what} scored rows`,
          'Which rows are kept differs: skiplist or expansion scoring',
        );
      });
    };
    it('frames queries as the reference: token ids, attention mask, scored rows', frames('query', golden.queries));
    it(
      'frames documents as the reference: token ids, attention mask, scored rows',
      frames('document', golden.documents),
    );

    const rows = (role: 'query' | 'document', entries: GoldenText[]) => async () => {
      const texts = entries.map((e) => e.text);
      const out = role === 'query' ? await t.encodeQueries(texts) : await t.encodeDocuments(texts);
      expect(out.length, `${fixture.name} ${role} results`).toBe(entries.length);
      entries.forEach((g, i) => {
        const what = `${fixture.name} ${role} ${i} ${quote(g.text)}`;
        sameIds([...out[i]!.tokenIds], g.kept_ids, `${what} kept ids`, 'Kept rows differ');
        expect(out[i]!.tokens, `${what} token count`).toBe(g.input_ids.length);
        closeRows(out[i]!.data, out[i]!.rows, out[i]!.dim, g.embeddings, c.goldenTol, what, {
          hiddenSize: t.spec.hiddenSize,
          dimWant: golden.dim,
        });
      });
    };
    it('matches the reference query rows', rows('query', golden.queries));
    it('matches the reference document rows', rows('document', golden.documents));

    it('matches the reference MaxSim matrix', async () => {
      const qs = await t.encodeQueries(golden.queries.map((q) => q.text));
      const ds = await t.encodeDocuments(golden.documents.map((d) => d.text));
      qs.forEach((q, i) => {
        const scores = t.score(q, ds);
        golden.maxsim[i]!.forEach((s, j) => {
          const d = Math.abs(scores[j]! - s);
          if (!(d <= c.goldenTol * q.rows + 1e-6))
            fail(`${fixture.name} maxsim[query ${i}][document ${j}] is ${scores[j]}, the reference has ${s}`);
        });
      });
    });

    it('gives the same rows batched as one at a time (mixed lengths)', async () => {
      for (const role of ['query', 'document'] as const) {
        const enc = (texts: string[], o = {}) =>
          role === 'query' ? t.encodeQueries(texts, o) : t.encodeDocuments(texts, o);
        const batched = await enc(MIXED, { maxBatchSize: 64, maxTokens: 1 << 20 });
        expect(batched.length).toBe(MIXED.length);
        for (let i = 0; i < MIXED.length; i++) {
          const [single] = await enc([MIXED[i]!]);
          rowsEqual(
            batched[i]!,
            single!,
            c.batchTol,
            `${fixture.name} ${role} ${i} ${quote(MIXED[i]!)} batched vs alone`,
          );
        }
      }
    });

    if (fixture.variant) return;

    it('keeps input order whatever the batching', async () => {
      const a = await t.encodeDocuments(MIXED, { maxBatchSize: 3, maxTokens: 100_000 });
      const b = await t.encodeDocuments(MIXED, { maxBatchSize: 1, sortByLength: false });
      expect(a.length).toBe(MIXED.length);
      a.forEach((x, i) => {
        expect(x.index, `result ${i} index`).toBe(i);
        rowsEqual(x, b[i]!, c.batchTol, `${fixture.name} document ${i} in batches of 3 vs 1`);
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
      expect(d!.truncated, 'long document truncated flag').toBe(true);
      expect(d!.tokens, 'long document tokens').toBe(golden.document_length);
      const [q] = await t.encodeQueries(['token '.repeat(200)]);
      expect(q!.truncated, 'long query truncated flag').toBe(true);
      if (golden.query_length !== null) expect(q!.tokens, 'long query tokens').toBe(golden.query_length);
      const [s] = await t.encodeQueries(['short']);
      expect(s!.truncated, 'short query truncated flag').toBe(false);
    });

    it('handles concurrent calls without mixing results', async () => {
      const runs = await Promise.all([0, 1, 2, 3].map((k) => t.encodeDocuments(MIXED.slice(k), { maxBatchSize: 2 })));
      const ref = await t.encodeDocuments(MIXED);
      runs.forEach((r, k) => {
        expect(r.length, `call ${k} results`).toBe(MIXED.length - k);
        r.forEach((x, i) =>
          rowsEqual(x, ref[i + k]!, c.batchTol, `${fixture.name} concurrent call ${k} document ${i}`),
        );
      });
    });

    it('gives 100 concurrent callers the rows each call gives alone', async () => {
      const calls = Array.from({ length: 100 }, (_, k) => [
        MIXED[k % MIXED.length]!,
        MIXED[(k * 7 + 3) % MIXED.length]!,
      ]);
      const alone: TokenEmbeddings[][] = [];
      for (const texts of calls) alone.push(await t.encodeDocuments(texts));
      const together = await Promise.all(calls.map((texts) => t.encodeDocuments(texts)));
      together.forEach((r, k) =>
        r.forEach((x, i) =>
          rowsEqual(x, alone[k]![i]!, c.batchTol, `${fixture.name} caller ${k} of 100, document ${i}`),
        ),
      );
    });

    it('streams an iterable with the same results, in order', async () => {
      const ref = await t.encodeDocuments(MIXED);
      const got: TokenEmbeddings[] = [];
      async function* gen() {
        for (const m of MIXED) yield m;
      }
      for await (const r of t.encodeStream(gen(), { as: 'document', windowSize: 3 })) got.push(r as TokenEmbeddings);
      expect(got.map((g) => g.index)).toEqual(MIXED.map((_, i) => i));
      got.forEach((g, i) => rowsEqual(g, ref[i]!, c.batchTol, `${fixture.name} streamed document ${i}`));
    });

    it('rejects non-string inputs naming the index', async () => {
      await expectRejection(t.encodeDocuments(['ok', 42 as unknown as string]), /index 1/);
    });
  });
}
