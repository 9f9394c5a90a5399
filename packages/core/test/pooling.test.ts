import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { poolRows } from '../src/plaid/pooling.js';
import type { RowMatrix } from '../src/index.js';
import { errorOf } from './helpers.js';

interface Golden {
  cases: Array<{ poolFactor: number; rows: number[][]; pooled: number[][] }>;
}
const golden = JSON.parse(
  readFileSync(fileURLToPath(new URL('../../../fixtures/pooling/golden.json', import.meta.url)), 'utf8'),
) as Golden;
const matrix = (rows: number[][]): RowMatrix => ({
  data: Float32Array.from(rows.flat()),
  rows: rows.length,
  dim: rows[0]!.length,
});
const asRows = (m: RowMatrix) =>
  Array.from({ length: m.rows }, (_, r) => [...m.data.subarray(r * m.dim, (r + 1) * m.dim)]);
// MaxSim does not depend on row order; clusters are compared as a set of rows.
const sorted = (rows: number[][]) => [...rows].sort((a, b) => a[0]! - b[0]! || a[1]! - b[1]!);

describe('token pooling', () => {
  it("gives PyLate's pooled rows (scipy Ward + maxclust) on every golden, the first row kept last", () => {
    expect(golden.cases.length).toBeGreaterThan(5);
    for (const c of golden.cases) {
      const pooled = poolRows(matrix(c.rows), c.poolFactor);
      expect(pooled.rows, `${c.rows.length} rows / ${c.poolFactor}`).toBe(c.pooled.length);
      const got = asRows(pooled);
      expect(got.at(-1)).toEqual(asRows(matrix([c.rows[0]!]))[0]);
      const want = sorted(c.pooled);
      sorted(got).forEach((row, i) => row.forEach((v, k) => expect(v).toBeCloseTo(want[i]![k]!, 5)));
    }
  });

  it('leaves documents too short to pool as they are, and refuses a factor that is not a positive integer', async () => {
    const two = matrix([
      [1, 0],
      [0, 1],
    ]);
    expect(poolRows(two, 2)).toBe(two);
    expect(
      poolRows(
        matrix([
          [1, 0],
          [0, 1],
          [0.6, 0.8],
        ]),
        1,
      ).rows,
    ).toBe(3);
    for (const bad of [0, 1.5, -2, Number.NaN])
      expect((await errorOf(() => poolRows(two, bad))).message).toMatch(/poolFactor must be a positive integer/);
  });
});
