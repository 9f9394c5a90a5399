import { Worker, UnrecoverableError, type Job } from 'bullmq';
import { Tessera, isTesseraError, resolveBackend, type Backend, type Store } from '@tessera/core';
import { manifestFor } from '@tessera/core/store';
import { connectRedis, redisOptions } from './redis.js';
import { QUEUE_NAME, runKeyName, type ShardJob, type ShardResult } from './run.js';
import { processShard } from './shard.js';
import { DEFAULT_STORE, openStoreWith } from './store.js';

export interface WorkerOptions {
  /** redis://host:port of the queue. */
  queue: string;
  /** 'cpu', 'cuda:0', ... or 'all' (one worker per available accelerator; the CPU when none). */
  device?: string;
  /** Shards one device works on at once (default 1). */
  concurrency?: number;
  backend?: string | Backend;
  threads?: number;
  /**
   * BullMQ lock settings. A shard's lock is renewed every lockDuration / 2 while it runs; a worker
   * that dies stops renewing, and within stalledInterval after the lock lapses its shard goes back
   * to the queue. A shard stalled more than maxStalledCount times fails. Defaults: 60 s, 30 s, 2:
   * a forward pass holds the event loop for at most a second or two on CPU, far inside 30 s.
   */
  lockDurationMs?: number;
  stalledIntervalMs?: number;
  maxStalledCount?: number;
  /** What the worker does, for logs: a shard started, finished or failed. */
  onEvent?: (e: WorkerEvent) => void;
}

export type WorkerEvent =
  | { type: 'started'; device: string; shard: string }
  | { type: 'completed'; device: string; shard: string; result: ShardResult }
  | { type: 'failed'; device: string; shard: string; error: string; final: boolean }
  | { type: 'model'; device: string; model: string; engine: string; budget: string };

export interface RunningWorkers {
  devices: string[];
  /** Finishes the shards in hand, then stops; models and stores are released. */
  close(): Promise<void>;
}

/** The devices `device` names: 'all' is every available accelerator of the backend, else the CPU. */
async function devicesFor(backend: Backend, device: string): Promise<string[]> {
  if (device !== 'all') return [device];
  const accel = (await backend.devices()).filter((d) => d.available && d.kind !== 'cpu').map((d) => d.id);
  return accel.length ? accel : ['cpu'];
}

/**
 * Takes shards from the queue and writes their vectors straight to the index: one BullMQ worker
 * per device, each with its own model. Models and stores are opened on the first shard that
 * needs them and kept for the next.
 */
export async function startWorkers(o: WorkerOptions): Promise<RunningWorkers> {
  const redis = await connectRedis(o.queue);
  const backend = await resolveBackend(o.backend ?? 'auto');
  const devices = await devicesFor(backend, o.device ?? 'cpu');
  const stores = new Map<string, Promise<Store>>();
  const store = (to: string, pkg = DEFAULT_STORE) => {
    const key = `${pkg}\u0000${to}`;
    let s = stores.get(key);
    if (!s) {
      s = openStoreWith(pkg, to);
      stores.set(key, s);
      // A store that failed to open is opened again for the next shard, not failed for good.
      s.catch(() => stores.delete(key));
    }
    return s;
  };
  const workers: Worker[] = [];
  const models: Array<Map<string, Promise<{ t: Tessera; fingerprint: string }>>> = [];
  for (const device of devices) {
    const cache = new Map<string, Promise<{ t: Tessera; fingerprint: string }>>();
    models.push(cache);
    const model = (job: ShardJob) => {
      const key = `${job.model}\u0000${job.dimension}`;
      let m = cache.get(key);
      if (!m) {
        m = (async () => {
          const t = await Tessera.create({
            model: job.model,
            backend,
            device,
            threads: o.threads,
            dimension: job.dimension,
            strict: device !== 'cpu',
            onWarning: () => {},
          });
          o.onEvent?.({ type: 'model', device, model: job.model, engine: t.engine, budget: t.budgetNote });
          return { t, fingerprint: (await manifestFor(t)).modelFingerprint };
        })();
        cache.set(key, m);
        m.catch(() => cache.delete(key));
      }
      return m;
    };
    const processor = async (job: Job<ShardJob, ShardResult>): Promise<ShardResult> => {
      o.onEvent?.({ type: 'started', device, shard: job.id! });
      const { t, fingerprint } = await model(job.data);
      // Vectors of another model must never reach the index: no retry fixes that.
      if (fingerprint !== job.data.fingerprint)
        throw new UnrecoverableError(
          `${job.data.model} on this worker is not the model the index was built with (fingerprint ` +
            `${fingerprint}, the index has ${job.data.fingerprint}): the files differ between machines`,
        );
      try {
        return await processShard(
          t,
          await store(job.data.to, job.data.store),
          job.data,
          (n) => void job.updateProgress(n),
        );
      } catch (e) {
        // A bad line stays bad however often it is read.
        if (isTesseraError(e, 'INVALID_INPUT') || isTesseraError(e, 'OUT_OF_MEMORY'))
          throw new UnrecoverableError(e.message);
        throw e;
      }
    };
    const w = new Worker<ShardJob, ShardResult>(QUEUE_NAME, processor, {
      connection: redisOptions(o.queue),
      concurrency: o.concurrency ?? 1,
      lockDuration: o.lockDurationMs ?? 60_000,
      stalledInterval: o.stalledIntervalMs ?? 30_000,
      maxStalledCount: o.maxStalledCount ?? 2,
    });
    w.on('error', () => {});
    w.on('completed', (job, result) => {
      void redis
        .multi()
        .hincrby(runKeyName(job.data.run), 'done', 1)
        .hincrby(runKeyName(job.data.run), 'written', result.written)
        .hincrby(runKeyName(job.data.run), 'tokens', result.tokens)
        .hincrby(runKeyName(job.data.run), 'skippedLines', result.skippedLines)
        .hincrby(runKeyName(job.data.run), 'split', result.split ?? 0)
        .hincrby(runKeyName(job.data.run), 'cut', result.cut ?? 0)
        .hset(runKeyName(job.data.run), 'lastDoneAt', Date.now())
        .exec();
      o.onEvent?.({ type: 'completed', device, shard: job.id!, result });
    });
    w.on('failed', (job, err) => {
      if (!job) return;
      const final =
        err instanceof UnrecoverableError ||
        err.name === 'UnrecoverableError' ||
        job.attemptsMade >= (job.opts.attempts ?? 1);
      if (final) void redis.hincrby(runKeyName(job.data.run), 'failed', 1);
      o.onEvent?.({ type: 'failed', device, shard: job.id!, error: err.message, final });
    });
    workers.push(w);
  }
  let closing: Promise<void> | undefined;
  return {
    devices,
    close: () =>
      (closing ??= (async () => {
        await Promise.all(workers.map((w) => w.close()));
        for (const cache of models)
          for (const m of cache.values()) await m.then(({ t }) => t.dispose()).catch(() => {});
        for (const s of stores.values()) await s.then((x) => x.close()).catch(() => {});
        redis.disconnect();
      })()),
  };
}
