import { describe, expect, it } from 'vitest';
import type { ForwardOutput } from '../src/index.js';
import { extractRows, normalizeRows, poolRows } from '../src/backend-kit.js';

// Two items, three positions, dim 2.
const out: ForwardOutput = {
  batchSize: 2,
  seqLen: 3,
  dim: 2,
  data: Float32Array.from([1, 2, 3, 4, 5, 6, /* item 1 */ -1, 0, 7, 8, 100, 100]),
};

describe('pooling', () => {
  it('pools the attended rows: cls, mean, max, last token, mean / sqrt(n), position-weighted mean', () => {
    const mask = [1, 1, 0];
    expect([...poolRows(out, 1, mask, ['cls'])]).toEqual([-1, 0]);
    expect([...poolRows(out, 1, mask, ['mean'])]).toEqual([3, 4]);
    expect([...poolRows(out, 1, mask, ['max'])]).toEqual([7, 8]);
    expect([...poolRows(out, 1, mask, ['lasttoken'])]).toEqual([7, 8]);
    expect([...poolRows(out, 1, mask, ['mean_sqrt_len_tokens'])].map((v) => +v.toFixed(5))).toEqual([
      +(6 / Math.SQRT2).toFixed(5),
      +(8 / Math.SQRT2).toFixed(5),
    ]);
    // Weights 1 and 2: (1 * -1 + 2 * 7) / 3, (1 * 0 + 2 * 8) / 3.
    expect([...poolRows(out, 1, mask, ['weightedmean'])].map((v) => +v.toFixed(5))).toEqual([
      +(13 / 3).toFixed(5),
      +(16 / 3).toFixed(5),
    ]);
    expect([...poolRows(out, 0, [1, 1, 1], ['mean'])]).toEqual([3, 4]);
    expect([...poolRows(out, 0, [0, 0, 0], ['mean'])]).toEqual([0, 0]);
  });

  it('concatenates several modes in the order given, as sentence-transformers does', () => {
    expect([...poolRows(out, 1, [1, 1, 0], ['cls', 'max', 'mean'])]).toEqual([-1, 0, 7, 8, 3, 4]);
  });

  it('pools from the first pooled row on when the prompt is excluded', () => {
    expect([...poolRows(out, 0, [0, 1, 1], ['cls'])]).toEqual([3, 4]);
    expect([...poolRows(out, 0, [0, 1, 1], ['mean'])]).toEqual([4, 5]);
  });
});

describe('row extraction', () => {
  it('keeps the chosen positions, truncates to dim and normalizes each row', () => {
    const r = extractRows(out, 0, [0, 2], [101, 7, 102], 1, { index: 5, tokens: 3, truncated: false });
    expect(r).toMatchObject({ index: 5, rows: 2, dim: 1, tokens: 3 });
    expect([...r.tokenIds]).toEqual([101, 102]);
    expect([...r.data]).toEqual([1, 1]);
    const full = extractRows(out, 1, [1], [1, 2, 3], 2, { index: 0, tokens: 3, truncated: true });
    expect(full.data[0]! ** 2 + full.data[1]! ** 2).toBeCloseTo(1, 6);
  });

  it('leaves rows as they are for a model without a Normalize module', () => {
    const r = extractRows(out, 1, [1], [1, 2, 3], 2, { index: 0, tokens: 3, truncated: false }, false);
    expect([...r.data]).toEqual([7, 8]);
  });

  it('leaves zero rows at zero instead of dividing by zero', () => {
    const z = new Float32Array(4);
    normalizeRows(z, 2, 2);
    expect([...z]).toEqual([0, 0, 0, 0]);
  });
});
