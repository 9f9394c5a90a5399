import { closeRows, expect, fail, quote, sameIds } from './check.js';
import { maxAbsDiffArrays, readGolden, type DenseGolden, type DenseGoldenText } from './golden.js';
import type { CaseContext } from './context.js';
import type { EncodeCallOptions } from '../encoder.js';
import type { Tessera } from '../tessera.js';

/** Golden parity of a sentence-transformers (pooled) fixture: framing, vectors, cosine, role prompts, truncation. */
export function denseCases(c: CaseContext, fixture: { name: string; dir: string }): void {
  const { it, beforeAll, afterAll, describe } = c.harness;
  const golden = readGolden<DenseGolden>(fixture.dir);
  describe(`${c.backendName} conformance: ${fixture.name} (dense)`, () => {
    let t: Tessera;
    beforeAll(async () => {
      t = await c.create(fixture.dir);
    });
    afterAll(async () => {
      await t?.dispose();
    });

    const check = async (entries: DenseGoldenText[], options: EncodeCallOptions, what: string) => {
      const texts = entries.map((e) => e.text);
      const items = await t.prepare(texts, 'dense', options);
      const out = await t.encodeDense(texts, options);
      expect(out.length, `${what} results`).toBe(entries.length);
      entries.forEach((g, i) => {
        const name = `${fixture.name} ${what} ${i} ${quote(g.text)}`;
        sameIds(
          items[i]!.ids,
          g.input_ids,
          `${name} input ids`,
          'Tokenization differs: prompt, lowercasing or truncation',
        );
        expect(out[i]!.tokens, `${name} token count`).toBe(g.input_ids.length);
        closeRows(out[i]!.data, 1, out[i]!.dim, [g.embedding], c.goldenTol, name);
      });
      return out;
    };

    it('matches the reference ids and pooled vectors with the default prompt', async () => {
      const out = await check(golden.texts, {}, 'text');
      golden.cosine.forEach((row, i) =>
        row.forEach((v, j) => {
          const d = Math.abs(t.similarity(out[i]!, out[j]!) - v);
          if (!(d <= c.goldenTol))
            fail(`${fixture.name} cosine[${i}][${j}] differs from the reference by ${d.toExponential(2)}`);
        }),
      );
    });

    if (golden.query_texts)
      it('matches the reference with the query prompt (encode_query)', async () =>
        void (await check(golden.query_texts!, { role: 'query' }, 'query')));
    if (golden.document_texts)
      it('matches the reference with the document prompt (encode_document)', async () =>
        void (await check(golden.document_texts!, { role: 'document' }, 'document')));
    if (golden.truncated) {
      it(`truncates to ${golden.truncated.dimension} dimensions as the reference (no renormalization)`, async () => {
        const out = await t.encodeDense(
          golden.texts.map((x) => x.text),
          { dimension: golden.truncated!.dimension },
        );
        out.forEach((o, i) =>
          closeRows(
            o.data,
            1,
            o.dim,
            [golden.truncated!.embeddings[i]!],
            c.goldenTol,
            `${fixture.name} truncated text ${i}`,
          ),
        );
      });
    }

    it('gives the same vector batched as alone', async () => {
      const texts = golden.texts.map((x) => x.text);
      const all = await t.encodeDense(texts, { maxBatchSize: 64, maxTokens: 1 << 20 });
      for (let i = 0; i < texts.length; i++) {
        const [one] = await t.encodeDense([texts[i]!]);
        const d = maxAbsDiffArrays(one!.data, all[i]!.data);
        if (!(d <= c.batchTol))
          fail(
            `${fixture.name} text ${i} ${quote(texts[i]!)}: batched and alone differ by ${d.toExponential(2)}. Likely cause: padding leaks into real tokens`,
          );
      }
    });
  });
}
