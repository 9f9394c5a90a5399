import type { BatchStats, DenseEmbedding, PlannedItem, Tessera, TokenEmbeddings } from '@tessera/core';
import { planBatches } from '@tessera/core/backend';
import type { ServerMetrics } from './metrics.js';

export type Result = TokenEmbeddings | DenseEmbedding;
export type Kind = 'query' | 'document' | 'dense';

/** One request's texts in a queue. */
export interface Job {
  readonly results: Result[];
  cancelled: boolean;
  /** ms the request waited for its first batch, and spent in forward passes. */
  queueMs: number;
  inferenceMs: number;
}

interface JobState extends Job {
  remaining: number;
  enqueuedAt: number;
  started: boolean;
  resolve: (job: Job) => void;
  reject: (e: unknown) => void;
  /** Item sequence number -> position in the request. */
  positions: Map<number, number>;
}

export interface BatcherConfig {
  tessera: Tessera;
  model: string;
  kind: Kind;
  dimension: number | undefined;
  normalize: boolean;
  maxBatchTokens: number;
  maxBatchSize: number;
  maxPaddingShare: number | undefined;
  waitMs: number;
  metrics: ServerMetrics;
}

/**
 * Dynamic batching for one model, role and output shape. Requests add their prepared texts; when
 * the engine can take a batch, the queue hands it the next length-sorted batch under the token
 * budget. Work goes in rounds: the texts waiting when a round starts are planned together and
 * served before anything that came later, so a stream of long texts cannot starve short ones.
 * Texts of requests whose client went away are dropped before their batch runs.
 */
export class Batcher {
  private pending: Array<{ item: PlannedItem; job: JobState }> = [];
  private round: PlannedItem[][] = [];
  private readonly owners = new Map<number, JobState>();
  private running = false;
  private seq = 0;
  private touched = new Set<JobState>();

  constructor(private readonly c: BatcherConfig) {}

  /** Queues a request's prepared texts; resolves with their results in the request's order. */
  submit(items: readonly PlannedItem[]): { job: Job; done: Promise<Job> } {
    let resolve!: (j: Job) => void;
    let reject!: (e: unknown) => void;
    const done = new Promise<Job>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const job: JobState = {
      results: new Array<Result>(items.length),
      cancelled: false,
      queueMs: 0,
      inferenceMs: 0,
      remaining: items.length,
      enqueuedAt: performance.now(),
      started: false,
      resolve,
      reject,
      positions: new Map(),
    };
    if (!items.length) {
      resolve(job);
      return { job, done };
    }
    items.forEach((it, pos) => {
      const id = this.seq++;
      job.positions.set(id, pos);
      this.owners.set(id, job);
      this.pending.push({ item: { ...it, index: id }, job });
    });
    this.c.metrics.queueSize.inc(this.labels, items.length);
    if (!this.running) void this.run();
    return { job, done };
  }

  /** The client went away: its texts are dropped before their batch runs, and its wait ends. */
  cancel(job: Job, reason: unknown): void {
    const j = job as JobState;
    if (j.cancelled || j.remaining === 0) return;
    j.cancelled = true;
    j.reject(reason);
  }

  private get labels() {
    return { model: this.c.model, role: this.c.kind };
  }

  /** Drops a text that waits in the queue (its client went away, or its request failed). */
  private forget(item: PlannedItem): void {
    this.owners.delete(item.index);
    this.c.metrics.queueSize.dec(this.labels);
  }

  /**
   * The next batch for the engine, or undefined when nothing waits. It is decided one turn of the
   * event loop after the engine asks: onnxruntime-node and tfjs-wasm run the forward pass on this
   * thread, so requests that arrived during it are read (and their tokenization completes) only
   * when the loop polls; deciding after that lets them join this batch instead of waiting a round.
   */
  private next = async (): Promise<PlannedItem[] | undefined> => {
    await new Promise<void>((r) => setImmediate(r));
    for (;;) {
      if (!this.round.length) {
        const live = this.pending.filter((p) => !p.job.cancelled);
        for (const p of this.pending) if (p.job.cancelled) this.forget(p.item);
        this.pending = [];
        if (!live.length) return undefined;
        // The model's budget is read each round: an out-of-memory error may have shrunk it.
        const maxTokens = Math.min(this.c.maxBatchTokens, this.c.tessera.batchLimits.maxTokens);
        this.round = planBatches(
          live.map((p) => p.item),
          { maxBatchSize: this.c.maxBatchSize, maxTokens, sortByLength: true, maxPaddingShare: this.c.maxPaddingShare },
        );
      }
      const batch: PlannedItem[] = [];
      for (const it of this.round.shift()!) {
        const job = this.owners.get(it.index)!;
        if (job.cancelled) this.forget(it);
        else batch.push(it);
      }
      if (!batch.length) continue;
      // Into the engine: no longer waiting.
      this.c.metrics.queueSize.dec(this.labels, batch.length);
      const now = performance.now();
      for (const it of batch) {
        const job = this.owners.get(it.index)!;
        if (!job.started) {
          job.started = true;
          job.queueMs = now - job.enqueuedAt;
          this.c.metrics.queueDuration.observe(this.labels, job.queueMs / 1000);
        }
      }
      return batch;
    }
  };

  private onResult = (r: Result, item: PlannedItem): void => {
    const job = this.owners.get(item.index);
    this.owners.delete(item.index);
    if (!job || job.cancelled) return;
    const pos = job.positions.get(item.index)!;
    job.results[pos] = { ...r, index: pos } as Result;
    this.touched.add(job);
    if (--job.remaining === 0) job.resolve(job);
  };

  private onBatch = (s: BatchStats): void => {
    const m = this.c.metrics;
    m.inferenceDuration.observe(this.labels, s.forwardMs / 1000);
    m.batchSize.observe(this.labels, s.size);
    m.batchTokens.observe(this.labels, s.tokens);
    m.batchFill.observe(this.labels, Math.min(1, s.paddedTokens / this.c.maxBatchTokens));
    m.paddingShare.observe(this.labels, s.paddedTokens ? 1 - s.tokens / s.paddedTokens : 0);
    for (const job of this.touched) job.inferenceMs += s.forwardMs;
    this.touched.clear();
  };

  /** A batch failed (on any device): exactly its requests fail with its error; the queue goes on. */
  private onBatchError = (e: unknown, items: PlannedItem[]): void => {
    for (const it of items) {
      const job = this.owners.get(it.index);
      this.owners.delete(it.index);
      if (job && !job.cancelled && job.remaining > 0) {
        job.cancelled = true;
        job.reject(e);
      }
    }
  };

  private async run(): Promise<void> {
    this.running = true;
    try {
      if (this.c.waitMs > 0) await new Promise((r) => setTimeout(r, this.c.waitMs));
      await this.c.tessera.encodeBatches(this.next, this.c.kind, this.onResult, {
        dimension: this.c.dimension,
        normalize: this.c.normalize,
        onBatch: this.onBatch,
        onBatchError: this.onBatchError,
      });
    } catch (e) {
      // Not a batch's failure (those are routed above) but the run's: a disposed model fails
      // everything that waits.
      const waiting = [...this.round.flat(), ...this.pending.map((p) => p.item)];
      this.round = [];
      this.pending = [];
      for (const it of waiting) {
        const job = this.owners.get(it.index);
        this.forget(it);
        if (job && !job.cancelled) {
          job.cancelled = true;
          job.reject(e);
        }
      }
    } finally {
      this.touched.clear();
      this.running = false;
      // Texts that arrived as the last batch finished.
      if (this.pending.length) void this.run();
    }
  }
}
