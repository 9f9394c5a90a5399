import type { Tessera } from '@tessera/core';
import { paddingShare, planBatches } from '@tessera/core/backend';
import { median, percentile, round, withPeakRss } from '../measure.js';
import type { Workload } from '../workloads.js';

export interface Cell {
  backend: string;
  engine: string;
  device: string;
  model: string;
  workload: string;
  role: string;
  batchSize: number;
  sorted: boolean;
  texts: number;
  textsPerSec: number;
  tokensPerSec: number;
  batchMsP50: number;
  batchMsP95: number;
  peakRssMiB: number;
  paddingShare: number;
  repetitions: number;
}

export interface CellOptions {
  batchSize: number;
  sorted: boolean;
  repetitions: number;
  /** Stop repeating once this much time was spent (the first repetition always completes). */
  budgetMs: number;
}

/** Encodes a workload with one configuration: warm-up, then repetitions; medians reported. */
export async function measureCell(t: Tessera, model: string, w: Workload, o: CellOptions): Promise<Cell> {
  const limits = { maxBatchSize: o.batchSize, maxTokens: o.batchSize * 512, sortByLength: o.sorted };
  const items = await t.prepare(w.texts, w.role);
  const tokens = items.reduce((s, it) => s + it.ids.length, 0);
  const encode = (texts: string[], onProgress?: (e: { done: number }) => void) =>
    w.role === 'query'
      ? t.encodeQueries(texts, { ...limits, onProgress })
      : t.encodeDocuments(texts, { ...limits, onProgress });
  await encode(w.texts.slice(0, Math.min(w.texts.length, Math.max(o.batchSize, 4))));
  const rates: number[] = [];
  const batchMs: number[] = [];
  const started = performance.now();
  const { peakRssMiB } = await withPeakRss(async () => {
    for (let r = 0; r < o.repetitions; r++) {
      let last = performance.now();
      const t0 = last;
      await encode(w.texts, () => {
        const now = performance.now();
        batchMs.push(now - last);
        last = now;
      });
      rates.push(w.texts.length / ((performance.now() - t0) / 1000));
      if (performance.now() - started > o.budgetMs) break;
    }
  });
  const textsPerSec = median(rates);
  return {
    backend: t.backendName,
    engine: t.engine,
    device: t.device,
    model,
    workload: w.name,
    role: w.role,
    batchSize: o.batchSize,
    sorted: o.sorted,
    texts: w.texts.length,
    textsPerSec: round(textsPerSec),
    tokensPerSec: round((textsPerSec * tokens) / w.texts.length, 0),
    batchMsP50: round(median(batchMs)),
    batchMsP95: round(percentile(batchMs, 95)),
    peakRssMiB: round(peakRssMiB, 0),
    paddingShare: round(paddingShare(planBatches(items, limits)), 3),
    repetitions: rates.length,
  };
}
