import { resolve } from 'node:path';
import { Queue } from 'bullmq';
import {
  type CodecOptions,
  openCorpus,
  TesseraError,
  type PassageSetting,
  type Store,
  type Tessera,
} from '@tessera/core';
import {
  checkKeepsCodes,
  encodeInPassages,
  openCodec,
  openManifest,
  passagePlanner,
  planShards,
  writeCodec,
} from '@tessera/core/store';
import { findDuplicateLines } from './duplicates.js';
import { connectRedis, redisOptions } from './redis.js';
import { QUEUE_NAME, runKey, runKeyName, type ShardJob, type ShardResult } from './run.js';
import { DEFAULT_STORE, openStoreWith } from './store.js';

export interface EnqueueOptions {
  /** redis://host:port of the queue. */
  queue: string;
  /** The corpus file (JSONL or text), at a path every worker can read. */
  input: string;
  /** The index folder (or a URI its store opens), reachable from every worker. */
  to: string;
  /**
   * The store package every worker writes with (a package name, or a module path), exporting
   * openStore(location); default @tessera/store-lancedb.
   */
  store?: string;
  /** Lines per shard (default 1000). */
  shardSize?: number;
  textField?: string;
  idField?: string;
  keepText?: boolean;
  skipInvalid?: boolean;
  /** How long texts are split into passages (IndexOptions.passages); checked against the model here. */
  passages?: PassageSetting;
  /** Tries per shard before it fails for good (default 3, with exponential backoff from 2 s). */
  attempts?: number;
  /**
   * false: a compressed-only index (IndexOptions.vectors): the codec is trained here, on the
   * input's first documents, before any shard is queued, and workers write codes against it.
   */
  vectors?: boolean;
  /** How that codec is trained (IndexOptions.codec; its sample defaults to PLAID's for the input's line count). */
  codec?: CodecOptions;
}

export interface RunInfo {
  run: string;
  shards: number;
  lines: number;
  /** Shards enqueued by this call (0 when the run was already queued), and failed ones sent back. */
  added: number;
  retried: number;
  duplicates: number;
  duplicateIds: string[];
}

export interface RunStatus {
  run: string;
  input: string;
  to: string;
  model: string;
  shards: number;
  lines: number;
  done: number;
  failed: number;
  active: number;
  waiting: number;
  written: number;
  tokens: number;
  skippedLines: number;
  duplicates: number;
  /** Documents split into passages, and passages still cut at the document length. */
  split: number;
  cut: number;
  /** Documents encoded in shards still running. */
  inFlight: number;
  startedAt: number;
  lastDoneAt: number | undefined;
  failures: Array<{ shard: string; error: string; attempts: number }>;
}

const latestRunKey = (to: string) => `tessera:latest-run:${to}`;

/** Documents encoded at a time while the codec's sample is gathered. */
const SAMPLE_BATCH = 256;

/**
 * A compressed-only index's codec, trained on the input's first documents (encoded here, as the
 * workers will encode them) and stored before any shard is queued; nothing when it has one.
 */
async function trainCodecUpFront(t: Tessera, store: Store, input: string, lines: number, o: EnqueueOptions) {
  const trainer = await openCodec(store, { expectedDocuments: lines, ...o.codec });
  if (trainer.ready) return;
  const planner = await passagePlanner(t, o.passages);
  const corpus = await openCorpus(input, { textField: o.textField, idField: o.idField, skipInvalid: !!o.skipInvalid });
  let texts: string[] = [];
  const feed = async () => {
    trainer.add((await encodeInPassages(t, texts, planner)).encoded);
    texts = [];
  };
  for await (const d of corpus.documents) {
    texts.push(d.text);
    if (texts.length < SAMPLE_BATCH) continue;
    await feed();
    if (trainer.sampled()) break;
  }
  if (texts.length) await feed();
  await writeCodec(store, await trainer.train(t.nearestCentroids));
}

/**
 * Cuts the input into shards and queues them, with deterministic job ids: rerunning the same
 * command adds nothing for shards queued or done, and sends failed shards back. The manifest is
 * written (or checked) before the first shard is queued, so every worker writes under it.
 */
export async function enqueueIndex(t: Tessera, o: EnqueueOptions): Promise<RunInfo> {
  const input = resolve(o.input);
  const to = /^[a-z][a-z0-9+.-]*:\/\//i.test(o.to) ? o.to : resolve(o.to);
  const shardSize = o.shardSize ?? 1000;
  const storePackage = o.store ?? DEFAULT_STORE;
  const store = await openStoreWith(storePackage, to);
  let fingerprint: string;
  let compressedOnly: boolean;
  try {
    if (o.vectors === false) checkKeepsCodes(store);
    const manifest = await openManifest(t, store, o.vectors);
    fingerprint = manifest.modelFingerprint;
    compressedOnly = manifest.vectors === false;
  } finally {
    await store.close();
  }
  // Impossible passage sizes are refused here, not by every worker.
  await passagePlanner(t, o.passages);
  const plan = await planShards(input, shardSize, { textField: o.textField, idField: o.idField });
  if (!plan.shards.length) throw new TesseraError('INVALID_INPUT', `${input} holds no documents`, { file: input });
  if (compressedOnly) {
    const codecStore = await openStoreWith(storePackage, to);
    try {
      await trainCodecUpFront(t, codecStore, input, plan.lines, o);
    } finally {
      await codecStore.close();
    }
  }
  const textField = o.textField ?? 'text';
  const dups = await findDuplicateLines(input, plan.ids, textField);
  const keepText = !!o.keepText;
  const skipInvalid = !!o.skipInvalid;
  const run = runKey({
    input,
    size: plan.size,
    mtimeMs: plan.mtimeMs,
    to,
    fingerprint,
    dimension: t.dimension,
    shardSize,
    textField,
    ids: plan.ids,
    keepText,
    skipInvalid,
    // The default store keeps the run keys of runs queued before stores were pluggable.
    ...(storePackage !== DEFAULT_STORE ? { store: storePackage } : {}),
    ...(o.passages !== undefined ? { passages: o.passages } : {}),
  });
  const redis = await connectRedis(o.queue);
  const queue = new Queue<ShardJob, ShardResult>(QUEUE_NAME, { connection: redisOptions(o.queue) });
  try {
    const key = runKeyName(run);
    await redis
      .multi()
      .hsetnx(key, 'input', input)
      .hsetnx(key, 'to', to)
      .hsetnx(key, 'model', t.modelRef)
      .hsetnx(key, 'shards', plan.shards.length)
      .hsetnx(key, 'lines', plan.lines)
      .hsetnx(key, 'duplicates', dups.skip.length)
      .hsetnx(key, 'startedAt', Date.now())
      .set(latestRunKey(to), run)
      .exec();
    const skipAt = (start: number, end: number) => dups.skip.filter((l) => l >= start && l < end);
    const jobs = plan.shards.map((s, i) => {
      const next = plan.shards[i + 1]?.firstLine ?? Infinity;
      const data: ShardJob = {
        run,
        shard: s.index,
        input,
        start: s.start,
        end: s.end,
        firstLine: s.firstLine,
        skipLines: skipAt(s.firstLine, next),
        ids: plan.ids,
        textField,
        to,
        store: storePackage,
        model: t.modelRef,
        dimension: t.dimension,
        fingerprint,
        keepText,
        skipInvalid,
        ...(o.passages !== undefined ? { passages: o.passages } : {}),
      };
      return {
        name: 'shard',
        data,
        opts: {
          jobId: `${run}-${s.index}`,
          attempts: o.attempts ?? 3,
          backoff: { type: 'exponential', delay: 2000 },
          removeOnComplete: false,
          removeOnFail: false,
        },
      };
    });
    const existing = new Set<string>();
    for (const j of jobs) if (await queue.getJob(j.opts.jobId)) existing.add(j.opts.jobId);
    const fresh = jobs.filter((j) => !existing.has(j.opts.jobId));
    for (let i = 0; i < fresh.length; i += 500) await queue.addBulk(fresh.slice(i, i + 500));
    // Failed shards of this run go back to the queue on a rerun.
    let retried = 0;
    for (const job of await queue.getFailed(0, -1)) {
      if (!job.id?.startsWith(`${run}-`)) continue;
      await job.retry();
      retried++;
    }
    if (retried) await redis.hincrby(key, 'failed', -retried);
    return {
      run,
      shards: plan.shards.length,
      lines: plan.lines,
      added: fresh.length,
      retried,
      duplicates: dups.skip.length,
      duplicateIds: dups.examples,
    };
  } finally {
    await queue.close();
    redis.disconnect();
  }
}

/** Where a run stands: shards done, failed (with their errors), running and waiting; documents written. */
export async function runStatus(queueUrl: string, runOrIndex: { run: string } | { to: string }): Promise<RunStatus> {
  const redis = await connectRedis(queueUrl);
  const queue = new Queue<ShardJob, ShardResult>(QUEUE_NAME, { connection: redisOptions(queueUrl) });
  try {
    let run: string | null;
    if ('run' in runOrIndex) run = runOrIndex.run;
    else {
      const to = /^[a-z][a-z0-9+.-]*:\/\//i.test(runOrIndex.to) ? runOrIndex.to : resolve(runOrIndex.to);
      run = await redis.get(latestRunKey(to));
      if (!run)
        throw new TesseraError('INVALID_OPTION', `no queued run indexes into ${to} on ${queueUrl}`, {
          queue: queueUrl,
        });
    }
    const h = await redis.hgetall(runKeyName(run));
    if (!h.shards)
      throw new TesseraError('INVALID_OPTION', `run ${run} is not known to ${queueUrl}`, { queue: queueUrl });
    const mine = (jobs: Array<Job | undefined>) => jobs.filter((j): j is Job => !!j?.id?.startsWith(`${run}-`));
    type Job = Awaited<ReturnType<typeof queue.getJob>> & object;
    const active = mine(await queue.getActive(0, -1));
    const waiting = mine([...(await queue.getWaiting(0, -1)), ...(await queue.getDelayed(0, -1))]);
    const failed = mine(await queue.getFailed(0, -1));
    const n = (k: string) => Number(h[k] ?? 0);
    return {
      run,
      input: h.input!,
      to: h.to!,
      model: h.model!,
      shards: n('shards'),
      lines: n('lines'),
      done: n('done'),
      failed: failed.length,
      active: active.length,
      waiting: waiting.length,
      written: n('written'),
      tokens: n('tokens'),
      skippedLines: n('skippedLines'),
      duplicates: n('duplicates'),
      split: n('split'),
      cut: n('cut'),
      inFlight: active.reduce((s, j) => s + (typeof j.progress === 'number' ? j.progress : 0), 0),
      startedAt: n('startedAt'),
      lastDoneAt: h.lastDoneAt ? Number(h.lastDoneAt) : undefined,
      failures: failed.map((j) => ({ shard: j.id!, error: j.failedReason ?? 'unknown', attempts: j.attemptsMade })),
    };
  } finally {
    await queue.close();
    redis.disconnect();
  }
}
