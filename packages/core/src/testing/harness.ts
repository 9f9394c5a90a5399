import type { TestHarness } from '../conformance/context.js';

/** What one test of a suite did: passed, or failed with this message. */
export interface SuiteOutcome {
  name: string;
  error?: string;
  /** How long the test ran. */
  ms: number;
}

/**
 * Runs a suite in-process with a harness that records each test's outcome instead of reporting
 * it: for tests that prove a conformance suite fails on a planted bug, and for running the suite
 * where there is no test runner (a page). `onStart` hears each test's name as it starts.
 */
export async function collectOutcomes(
  define: (harness: TestHarness) => void,
  onStart?: (name: string) => void,
): Promise<SuiteOutcome[]> {
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
  const names = (b: Block, prefix: string): string[] => [
    ...b.tests.map((t) => `${prefix}${t.name}`),
    ...b.children.flatMap((c) => names(c, `${prefix}${c.name} > `)),
  ];
  // performance.now() in Node and in pages alike (core compiles without the DOM library).
  const now = () => (globalThis as unknown as { performance: { now(): number } }).performance.now();
  const run = async (b: Block, prefix: string) => {
    try {
      for (const h of b.before) await h();
    } catch (e) {
      // A failed beforeAll fails every test of its block, each saying why.
      for (const name of names(b, prefix))
        outcomes.push({ name, error: `beforeAll: ${String((e as Error).message)}`, ms: 0 });
      return;
    }
    for (const t of b.tests) {
      const name = `${prefix}${t.name}`;
      onStart?.(name);
      const start = now();
      try {
        await t.fn();
        outcomes.push({ name, ms: now() - start });
      } catch (e) {
        outcomes.push({ name, error: String((e as Error).message), ms: now() - start });
      }
    }
    for (const c of b.children) await run(c, `${prefix}${c.name} > `);
    for (const h of b.after)
      try {
        await h();
      } catch (e) {
        outcomes.push({ name: `${prefix}afterAll`, error: String((e as Error).message), ms: 0 });
      }
  };
  await run(root, '');
  return outcomes;
}
