import type { Backend } from '../backend/types.js';
import { isTesseraError } from '../errors.js';
import { Tessera } from '../tessera.js';
import type { BudgetChange } from '../encoder.js';
import { closeRows, expect, fail } from './check.js';
import type { CaseContext } from './context.js';

/**
 * The backend under test, with forward() failing the way engines do (an "out of memory" error)
 * on any batch of more than `limit` padded tokens.
 */
function tight(backend: Backend, limit: number, seen: number[]): Backend {
  return {
    ...backend,
    name: `${backend.name}-tight`,
    async load(spec, options) {
      const m = await backend.load(spec, options);
      return {
        ...m,
        device: m.device,
        engine: m.engine,
        dispose: () => m.dispose(),
        forward: async (b) => {
          seen.push(b.batchSize * b.seqLen);
          if (b.batchSize * b.seqLen > limit)
            throw new Error(
              `CUDA out of memory. Tried to allocate ${b.batchSize * b.seqLen * 4096} bytes (planted by the conformance suite at ${limit} tokens)`,
            );
          return m.forward(b);
        },
      };
    },
  };
}

/**
 * Out of memory, for every backend: core halves a batch that fails and retries, down to one
 * text; the rows equal a run that never failed; the budget shrinks and is reported; a single
 * text that cannot fit is an OUT_OF_MEMORY error that names it.
 */
export function memoryCases(c: CaseContext, fixture: { name: string; dir: string }): void {
  const { it, describe } = c.harness;
  describe(`${c.backendName} conformance: out of memory (${fixture.name})`, () => {
    const texts = Array.from(
      { length: 24 },
      (_, i) => `${'a document about the sea and ships '.repeat(1 + (i % 5))}number ${i}`,
    );

    it('splits a batch that runs out of memory, gives the same rows, and shrinks the budget', async () => {
      const plain = await c.create(fixture.dir);
      let want;
      try {
        want = await plain.encodeDocuments(texts, { maxBatchSize: 24, maxTokens: 1e6 });
      } finally {
        await plain.dispose();
      }
      const seen: number[] = [];
      const limit = 200;
      const t = await Tessera.create({
        model: fixture.dir,
        backend: tight(c.backend, limit, seen),
        device: c.device,
        threads: 2,
        batch: { maxBatchSize: 24, maxTokens: 1e6, maxPaddingShare: 1 },
      });
      const changes: BudgetChange[] = [];
      t.on('budget', (ch: BudgetChange) => changes.push(ch));
      t.on('warning', () => {});
      try {
        const got = await t.encodeDocuments(texts);
        got.forEach((g, i) =>
          closeRows(
            g.data,
            g.rows,
            g.dim,
            Array.from({ length: want[i]!.rows }, (_, r) =>
              Array.from(want[i]!.data.subarray(r * g.dim, (r + 1) * g.dim)),
            ),
            c.batchTol,
            `text ${i} after out-of-memory splits`,
          ),
        );
        if (!seen.some((n) => n > limit)) fail('the planted limit was never reached; the case tests nothing');
        expect(changes.length > 0, 'a budget event after the first out-of-memory error').toBe(true);
        expect(
          changes[0]!.after <= changes[0]!.failedTokens / 2,
          `the budget halves (${changes[0]!.before} -> ${changes[0]!.after} after ${changes[0]!.failedTokens} tokens failed)`,
        ).toBe(true);
        expect(t.batchLimits.maxTokens < 1e6, 't.batchLimits shows the shrunk budget').toBe(true);
        // The rest of the run, and later calls, plan under the new budget: few failures after the first.
        const before = seen.length;
        await t.encodeDocuments(texts);
        const failures = seen.slice(before).filter((n) => n > limit).length;
        expect(failures <= 1, `a later call plans under the shrunk budget (${failures} more batches failed)`).toBe(
          true,
        );
      } finally {
        await t.dispose();
      }
    });

    it('names a single text that does not fit even alone', async () => {
      const t = await Tessera.create({
        model: fixture.dir,
        backend: tight(c.backend, 8, []),
        device: c.device,
        threads: 2,
      });
      t.on('warning', () => {});
      let err: unknown;
      try {
        await t.encodeDocuments(['short', 'a much longer text that needs more than eight tokens to say']);
      } catch (e) {
        err = e;
      } finally {
        await t.dispose();
      }
      if (!isTesseraError(err, 'OUT_OF_MEMORY')) fail(`expected an OUT_OF_MEMORY error, got ${String(err)}`);
      expect(
        /text 1 \(\d+ tokens\) does not fit in the memory of/.test((err as Error).message),
        `the error names the text: "${(err as Error).message}"`,
      ).toBe(true);
    });
  });
}
