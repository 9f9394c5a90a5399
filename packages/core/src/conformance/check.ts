import { AssertionError, deepStrictEqual } from 'node:assert/strict';

/** A small expect() on node:assert, so the suite runs under vitest, node:test or any runner. */
export function expect<T>(actual: T, message?: string) {
  const fail = (what: string) => {
    throw new AssertionError({ message: `${message ? `${message}: ` : ''}${what}`, actual, stackStartFn: fail });
  };
  return {
    toBe(expected: T) {
      if (!Object.is(actual, expected)) fail(`expected ${String(actual)} to be ${String(expected)}`);
    },
    toEqual(expected: unknown) {
      try {
        deepStrictEqual(actual, expected);
      } catch {
        fail(`expected ${JSON.stringify(actual)} to equal ${JSON.stringify(expected)}`);
      }
    },
    toBeLessThanOrEqual(n: number) {
      if (!((actual as number) <= n)) fail(`expected ${String(actual)} to be <= ${n}`);
    },
    toBeGreaterThan(n: number) {
      if (!((actual as number) > n)) fail(`expected ${String(actual)} to be > ${n}`);
    },
  };
}

/** Resolves when `p` rejects with a message matching `pattern`. */
export async function expectRejection(p: Promise<unknown>, pattern: RegExp): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    if (!pattern.test(String((e as Error).message))) throw new AssertionError({ message: `rejected with "${(e as Error).message}", expected ${pattern}` });
    return e;
  }
  throw new AssertionError({ message: `expected a rejection matching ${pattern}` });
}
