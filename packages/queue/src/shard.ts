import { hostname } from 'node:os';
import { openCorpus, type IndexDocument, type Store, type StoreRecord, type Tessera } from '@tessera/core';
import { encodeInPassages, passagePlanner } from '@tessera/core/store';
import type { ShardJob, ShardResult } from './run.js';

/**
 * One shard: its lines read from the shared input by byte range, encoded, and written to the
 * index in one commit (upsert by id: a shard run twice, after a worker died, leaves one row per
 * id; keepLater: a later line of an id is never overwritten by an earlier one).
 */
export async function processShard(
  t: Tessera,
  store: Store,
  job: ShardJob,
  onProgress: (encoded: number) => void,
): Promise<ShardResult> {
  let skippedLines = 0;
  const corpus = await openCorpus(job.input, {
    ids: job.ids,
    textField: job.textField,
    range: { start: job.start, end: job.end, firstLine: job.firstLine },
    skipInvalid: job.skipInvalid,
    onSkip: () => skippedLines++,
  });
  const skip = new Set(job.skipLines);
  // Within the shard the last line of an id wins too.
  const docs = new Map<string, IndexDocument>();
  for await (const d of corpus.documents) {
    if (skip.has(d.seq!)) continue;
    docs.delete(d.id);
    docs.set(d.id, d);
  }
  const list = [...docs.values()];
  const t0 = performance.now();
  const planner = await passagePlanner(t, job.passages);
  const { encoded, tokens, passages, split, cut } = await encodeInPassages(
    t,
    list.map((d) => d.text),
    planner,
    onProgress,
  );
  const encodeMs = performance.now() - t0;
  const records = list.map(
    (d, i): StoreRecord => ({
      id: d.id,
      vectors: encoded[i]!.vectors,
      source: job.input,
      seq: d.seq!,
      ...(job.keepText ? { text: d.text } : {}),
      ...(d.metadata ? { metadata: d.metadata } : {}),
      ...(encoded[i]!.passages ? { passages: encoded[i]!.passages } : {}),
    }),
  );
  const t1 = performance.now();
  if (records.length) await store.upsert(records, { keepLater: true });
  return {
    written: records.length,
    tokens,
    passages,
    split,
    cut,
    skippedLines,
    encodeMs,
    writeMs: performance.now() - t1,
    device: t.device,
    worker: `${hostname()}:${process.pid}`,
  };
}
