import { AssertionError, deepStrictEqual } from './assertion.js';

/** A small expect() on node:assert (a page's own assertions in a browser bundle), so the suite runs under vitest, node:test or any runner. */
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

export function fail(message: string): never {
  throw new AssertionError({ message, stackStartFn: fail });
}

/** Resolves when `p` rejects with a message matching `pattern`. */
export async function expectRejection(p: Promise<unknown>, pattern: RegExp): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    if (!pattern.test(String((e as Error).message)))
      throw new AssertionError({ message: `rejected with "${(e as Error).message}", expected ${pattern}` });
    return e;
  }
  throw new AssertionError({ message: `expected a rejection matching ${pattern}` });
}

export const quote = (text: string): string => JSON.stringify(text.length > 50 ? `${text.slice(0, 47)}...` : text);

/** Ids compared position by position, naming the first that differs. */
export function sameIds(got: readonly number[], want: readonly number[], what: string, hint: string): void {
  const n = Math.max(got.length, want.length);
  for (let p = 0; p < n; p++) {
    if (got[p] !== want[p])
      fail(
        `${what}: ` +
          `${got.length === want.length ? '' : `${got.length} positions where the reference has ${want.length}; `}position ` +
          `${p} is ${got[p] ?? 'missing'}, the reference has ${want[p] ?? 'nothing'} (got ` +
          `[${got.slice(0, 40).join(', ')}${got.length > 40 ? ', ...' : ''}]). ${hint}`,
      );
  }
}

/**
 * Rows compared element by element; the message names the row, element and difference and says
 * what usually causes that shape of failure.
 */
export function closeRows(
  got: Float32Array,
  rows: number,
  dim: number,
  want: number[][],
  tol: number,
  what: string,
  context: { hiddenSize?: number; dimWant?: number } = {},
): void {
  if (want.length !== rows)
    fail(
      `${what}: ${rows} rows where the reference has ${want.length}. Kept rows differ: check the skiplist, query expansion or attention mask handling`,
    );
  const wantDim = context.dimWant ?? want[0]?.length ?? dim;
  if (dim !== wantDim)
    fail(
      `${what}: rows of ${dim} floats where the reference has ${wantDim}${dim === context.hiddenSize ? ' (the hidden size: the projection is missing)' : ''}`,
    );
  let worst = { d: 0, r: 0, j: 0 };
  let bad = 0;
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < dim; j++) {
      const d = Math.abs(got[r * dim + j]! - want[r]![j]!);
      if (!(d <= tol)) {
        bad++;
        if (!(d <= worst.d)) worst = { d, r, j };
      }
    }
  }
  if (!bad) return;
  const { r, j } = worst;
  const hint =
    bad < rows * dim * 0.05
      ? 'a few elements: usually an activation or GELU form, or an epsilon'
      : Number.isNaN(worst.d)
        ? 'NaN: a fully masked attention row, or an overflowing mask bias'
        : 'most elements: check the projection (its activation, bias, residual), the attention mask, positions or normalization';
  fail(
    `${what}: row ${r} element ${j} is ${got[r * dim + j]}, the reference has ${want[r]![j]} (difference ` +
      `${worst.d.toExponential(2)} > ${tol}; ${bad} of ${rows * dim} elements off). Likely cause: ${hint}`,
  );
}
