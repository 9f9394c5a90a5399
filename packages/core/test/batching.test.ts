import { describe, expect, it } from 'vitest';
import type { PlannedItem } from '../src/index.js';
import { padBatch, paddingShare, planBatches } from '../src/backend-kit.js';

const item = (index: number, len: number): PlannedItem => ({
  index,
  ids: Array.from({ length: len }, (_, i) => i + 1),
  attention: Array(len).fill(1),
  truncated: false,
});

describe('batch planning', () => {
  it('sorts by length and respects the size limit and token budget', () => {
    const items = [item(0, 5), item(1, 50), item(2, 6), item(3, 48), item(4, 7)];
    const batches = planBatches(items, { maxBatchSize: 2, maxTokens: 100, sortByLength: true });
    expect(batches.map((b) => b.map((x) => x.index))).toEqual([[1, 3], [4, 2], [0]]);
    const tight = planBatches(items, { maxBatchSize: 10, maxTokens: 60, sortByLength: true });
    for (const b of tight)
      expect(b.length * Math.max(...b.map((x) => x.ids.length)) <= 60 || b.length === 1).toBe(true);
  });

  it('runs a text longer than the budget alone instead of failing', () => {
    const batches = planBatches([item(0, 500), item(1, 3)], { maxBatchSize: 8, maxTokens: 100, sortByLength: true });
    expect(batches.map((b) => b.length)).toEqual([1, 1]);
  });

  it('keeps input order when sorting is off, and pads less when it is on', () => {
    const items = [item(0, 5), item(1, 50), item(2, 6), item(3, 48)];
    const plain = planBatches(items, { maxBatchSize: 2, maxTokens: 1e9, sortByLength: false });
    expect(plain.flat().map((x) => x.index)).toEqual([0, 1, 2, 3]);
    const sorted = planBatches(items, { maxBatchSize: 2, maxTokens: 1e9, sortByLength: true });
    expect(paddingShare(sorted)).toBeLessThan(paddingShare(plain));
  });

  it('starts a new batch where padding would pass maxPaddingShare', () => {
    const items = [item(0, 100), item(1, 98), item(2, 60), item(3, 59), item(4, 10)];
    const capped = planBatches(items, { maxBatchSize: 16, maxTokens: 1e9, sortByLength: true, maxPaddingShare: 0.05 });
    expect(capped.map((b) => b.map((x) => x.index))).toEqual([[0, 1], [2, 3], [4]]);
    for (const b of capped) expect(paddingShare([b])).toBeLessThanOrEqual(0.05);
    const open = planBatches(items, { maxBatchSize: 16, maxTokens: 1e9, sortByLength: true });
    expect(open).toHaveLength(1);
    // 0 still batches texts of equal length.
    expect(
      planBatches([item(0, 7), item(1, 7), item(2, 6)], {
        maxBatchSize: 16,
        maxTokens: 1e9,
        sortByLength: true,
        maxPaddingShare: 0,
      }).map((b) => b.length),
    ).toEqual([2, 1]);
  });

  it('pads right with the pad id and zero attention', () => {
    const b = padBatch([item(0, 3), item(1, 1)], 0);
    expect(b.seqLen).toBe(3);
    expect([...b.inputIds]).toEqual([1, 2, 3, 1, 0, 0]);
    expect([...b.attentionMask]).toEqual([1, 1, 1, 1, 0, 0]);
    expect([...b.tokenTypeIds]).toEqual([0, 0, 0, 0, 0, 0]);
  });
});
