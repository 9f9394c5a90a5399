import { hostname } from 'node:os';
import { openCorpus, type IndexDocument, type Store, type StoreRecord, type Tessera } from '@tessera/core';
import {
  compressDocuments,
  encodeInPassages,
  passagePlanner,
  requireCodec,
  type TrainedCodec,
} from '@tessera/core/store';
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
  const trained = await compressedCodec(store);
  const codes = trained
    ? await compressDocuments(
        list.map((d, i) => ({ id: d.id, vectors: encoded[i]!.vectors })),
        trained,
        t.nearestCentroids,
      )
    : undefined;
  const encodeMs = performance.now() - t0;
  const records = list.map(
    (d, i): StoreRecord => ({
      id: d.id,
      vectors: codes ? { rows: 0, dim: t.dimension, data: new Float32Array(0) } : encoded[i]!.vectors,
      ...(codes ? { codes: codes[i]! } : {}),
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

// Per store: its codec when it is compressed-only (read once; the producer wrote it before queueing).
const codecs = new WeakMap<Store, Promise<TrainedCodec | undefined>>();

/** The store's codec when it is compressed-only (the producer trained it up front), else undefined. */
function compressedCodec(store: Store): Promise<TrainedCodec | undefined> {
  let c = codecs.get(store);
  if (!c) {
    c = (async () => {
      if ((await store.readManifest())?.vectors !== false) return undefined;
      return requireCodec(store);
    })();
    codecs.set(store, c);
    c.catch(() => codecs.delete(store));
  }
  return c;
}
