import type { Tessera } from '@tessera/core';
import { median, round } from '../measure.js';

/** Batched (32, length-sorted) vs one at a time, and length-sorted vs input-order batches of 32. */
export async function batchingEffects(t: Tessera, texts: string[], repetitions: number) {
  const rate = async (o: { maxBatchSize: number; sortByLength: boolean }) => {
    await t.encodeDocuments(texts.slice(0, 8), { ...o, maxTokens: 1 << 30 });
    const rs: number[] = [];
    for (let r = 0; r < repetitions; r++) {
      const t0 = performance.now();
      await t.encodeDocuments(texts, { ...o, maxTokens: 1 << 30 });
      rs.push(texts.length / ((performance.now() - t0) / 1000));
    }
    return median(rs);
  };
  const single = await rate({ maxBatchSize: 1, sortByLength: false });
  const sorted32 = await rate({ maxBatchSize: 32, sortByLength: true });
  const input32 = await rate({ maxBatchSize: 32, sortByLength: false });
  const best: { size: number; rate: number } = { size: 0, rate: 0 };
  for (const size of [2, 4, 8, 16]) {
    const r = await rate({ maxBatchSize: size, sortByLength: true });
    if (r > best.rate) Object.assign(best, { size, rate: r });
  }
  return {
    backend: t.backendName,
    oneAtATime: round(single),
    batch32Sorted: round(sorted32),
    batch32InputOrder: round(input32),
    bestSorted: { batchSize: best.size, docsPerSec: round(best.rate) },
    batchedSpeedup: round(Math.max(sorted32, best.rate) / single),
    sortedVsInputOrder: round(sorted32 / input32),
  };
}
