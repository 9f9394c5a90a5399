// The suite's assertions in a page, where node:assert is not available. Hand-written because the
// suite compares only JSON-like values (id lists, shapes, plain objects): a library's deep
// equality would add weight for cases the suite never has.

/** Carries a failed check's message, named as Node's error is. */
export class AssertionError extends Error {
  readonly actual: unknown;
  constructor(options: { message?: string; actual?: unknown; stackStartFn?: unknown }) {
    super(options.message ?? 'assertion failed');
    this.name = 'AssertionError';
    this.actual = options.actual;
  }
}

function equal(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return (
    ka.length === kb.length &&
    ka.every((k) => Object.hasOwn(b, k) && equal((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
  );
}

export function deepStrictEqual(actual: unknown, expected: unknown): void {
  if (!equal(actual, expected)) throw new AssertionError({ message: 'values are not deeply equal', actual });
}
