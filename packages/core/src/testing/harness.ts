import type { TestHarness } from '../conformance/context.js';

/** What one test of a suite did: passed, or failed with this message. */
export interface SuiteOutcome {
  name: string;
  error?: string;
}

/**
 * Runs a suite in-process with a harness that records each test's outcome instead of reporting
 * it: for tests that prove a conformance suite fails on a planted bug.
 */
export async function collectOutcomes(define: (harness: TestHarness) => void): Promise<SuiteOutcome[]> {
  type Block = {
    before: Array<() => unknown>;
    after: Array<() => unknown>;
    tests: Array<{ name: string; fn: () => unknown }>;
    children: Block[];
    name: string;
  };
  const root: Block = { before: [], after: [], tests: [], children: [], name: '' };
  let current = root;
  define({
    describe: (name, fn) => {
      const b: Block = { before: [], after: [], tests: [], children: [], name };
      current.children.push(b);
      const parent = current;
      current = b;
      fn();
      current = parent;
    },
    it: (name, fn) => void current.tests.push({ name, fn }),
    beforeAll: (fn) => void current.before.push(fn),
    afterAll: (fn) => void current.after.push(fn),
  });
  const outcomes: SuiteOutcome[] = [];
  const run = async (b: Block, prefix: string) => {
    for (const h of b.before) await h();
    for (const t of b.tests) {
      try {
        await t.fn();
        outcomes.push({ name: `${prefix}${t.name}` });
      } catch (e) {
        outcomes.push({ name: `${prefix}${t.name}`, error: String((e as Error).message) });
      }
    }
    for (const c of b.children) await run(c, `${prefix}${c.name} > `);
    for (const h of b.after) await h();
  };
  await run(root, '');
  return outcomes;
}
