import { basename } from 'node:path';
import type { DenseEmbedding, Tessera, TokenEmbeddings } from '@tessera/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Batcher, type Job, type Kind } from './batcher.js';
import { HttpError, RequestTimeoutError, badRequest, validation } from './errors.js';
import type { FormatPool } from './format-pool.js';
import { JSON_TYPE, floatArrays, jsonBody, replyJson } from './json-body.js';
import type { ServerMetrics } from './metrics.js';
import type { ServedModel, ServerLimits, ServerOptions } from './options.js';

export class CancelledError extends Error {}

/** Smaller bodies are written on the main thread: for them a hand-over (a structured copy and two messages) saves little. */
const POOL_MIN_FLOATS = 2048;

export interface EncodeRequest {
  model: string | undefined;
  inputs: string[];
  kind: Kind;
  dimension?: number;
  /** Dense: renormalize after Matryoshka truncation. */
  normalize?: boolean;
  /** Which body field held the inputs, for messages. */
  field: string;
}

export interface EncodeOutcome<T> {
  model: ServedModel;
  results: T[];
  tokens: number;
}

/** The served models, their queues, and the request flow every embedding route shares. */
export class Service {
  readonly models: ServedModel[];
  private readonly batchers = new Map<string, Batcher>();
  inFlight = 0;

  constructor(
    options: ServerOptions,
    readonly limits: ServerLimits,
    readonly metrics: ServerMetrics,
    private readonly pool?: FormatPool,
  ) {
    if (!options.models?.length) throw new Error('createServer needs at least one model');
    this.models = options.models.map((m) => ('tessera' in m ? m : { name: basename(m.spec.dir), tessera: m }));
    const names = new Set<string>();
    for (const m of this.models) {
      if (names.has(m.name)) throw new Error(`two models are served as "${m.name}"; give them distinct names`);
      names.add(m.name);
    }
  }

  model(name: string | undefined): ServedModel {
    if (name === undefined || name === '') return this.models[0]!;
    const m = this.models.find((x) => x.name === name);
    if (!m)
      throw new HttpError(
        404,
        'not_found',
        `model "${name}" is not served here; served: ${this.models.map((x) => x.name).join(', ')}`,
        'model',
      );
    return m;
  }

  /** The batch budget a model's queues use: within the server's limits, the model's own. */
  budget(m: ServedModel): { maxBatchTokens: number; maxBatchSize: number; maxPaddingShare: number | undefined } {
    const own = m.tessera.batchLimits;
    return {
      maxBatchTokens: Math.min(this.limits.maxBatchTokens, own.maxTokens),
      maxBatchSize: this.limits.maxBatchSize ?? own.maxBatchSize,
      maxPaddingShare: own.maxPaddingShare,
    };
  }

  private batcher(m: ServedModel, kind: Kind, dimension: number | undefined, normalize: boolean): Batcher {
    const key = `${m.name}\u0000${kind}\u0000${dimension ?? ''}\u0000${normalize}`;
    let b = this.batchers.get(key);
    if (!b) {
      b = new Batcher({
        tessera: m.tessera,
        model: m.name,
        kind,
        dimension,
        normalize,
        ...this.budget(m),
        waitMs: this.limits.batchWaitMs,
        metrics: this.metrics,
      });
      this.batchers.set(key, b);
    }
    return b;
  }

  /**
   * A response's JSON body. With formatting threads, one with many float rows is written on one
   * of them while other requests need this thread; a request that is alone has its rows split
   * over all of them (two or more), written at once, and put into the body here.
   */
  reply(reply: FastifyReply, value: unknown): Buffer | Promise<Buffer> {
    const t0 = performance.now();
    const took = (thread: string) => this.metrics.formatDuration.observe({ thread }, (performance.now() - t0) / 1000);
    const rows = this.pool ? floatArrays(value) : [];
    const pool = rows.reduce((n, r) => n + r.length, 0) >= POOL_MIN_FLOATS ? this.pool : undefined;
    if (!pool || (this.inFlight <= 1 && pool.size < 2)) {
      const body = replyJson(reply, value);
      took('main');
      return body;
    }
    reply.type(JSON_TYPE);
    if (this.inFlight > 1)
      return pool.format(value).then((body) => {
        took('pool');
        return body;
      });
    return pool.formatRows(rows).then((written) => {
      const body = jsonBody(value, written);
      took('split');
      return body;
    });
  }

  /** Validates, tokenizes, queues and waits; sets the timing headers. */
  async encode<T extends TokenEmbeddings | DenseEmbedding>(
    req: FastifyRequest,
    reply: FastifyReply,
    r: EncodeRequest,
  ): Promise<EncodeOutcome<T>> {
    const started = performance.now();
    const m = this.model(r.model);
    const t: Tessera = m.tessera;
    if (r.kind === 'dense' && t.kind !== 'dense')
      throw badRequest(
        `model "${m.name}" is a ColBERT (multi-vector) model: use /v1/multi-vector, /embed_all, or return_multivector: true`,
        'model',
      );
    if (r.kind !== 'dense' && t.kind === 'dense')
      throw badRequest(`model "${m.name}" is a dense (single-vector) model: use /v1/embeddings or /embed`, 'model');
    if (!r.inputs.length) throw validation(`${r.field} must not be empty`, r.field);
    if (r.inputs.length > this.limits.maxClientBatchSize)
      throw new HttpError(
        413,
        'validation',
        `${r.field} has ${r.inputs.length} inputs; at most ${this.limits.maxClientBatchSize} per request (max-client-batch-size)`,
        r.field,
      );
    r.inputs.forEach((x, i) => {
      if (typeof x !== 'string') throw validation(`${r.field}[${i}] must be a string`, `${r.field}[${i}]`);
    });
    // Checked here: a bad dimension must fail this request, not the queue.
    if (r.dimension !== undefined) t.resolveDimension(r.dimension);
    const items = await t.prepare(r.inputs, r.kind);
    if (!this.limits.autoTruncate) {
      const long = items.findIndex((it) => it.truncated);
      if (long >= 0)
        throw validation(
          `${r.field}[${long}] is longer than the model's ${r.kind === 'query' ? 'query' : 'input'} limit and auto-truncate is off`,
          `${r.field}[${long}]`,
        );
    }
    const batcher = this.batcher(m, r.kind, r.dimension, !!r.normalize);
    const { job, done } = batcher.submit(items);
    const onClose = () => {
      if (!reply.raw.writableEnded) batcher.cancel(job, new CancelledError('the client closed the connection'));
    };
    reply.raw.once('close', onClose);
    // Counted from the request's arrival: a request whose texts sit behind a stuck forward pass is
    // answered 504, and its texts still waiting leave the queue.
    const timeoutMs = this.limits.requestTimeoutMs;
    const arrived = (req as { startedAt?: number }).startedAt ?? started;
    const timer =
      timeoutMs > 0
        ? setTimeout(
            () => batcher.cancel(job, new RequestTimeoutError(timeoutMs)),
            Math.max(0, timeoutMs - (performance.now() - arrived)),
          )
        : undefined;
    let finished: Job;
    try {
      finished = await done;
    } finally {
      clearTimeout(timer);
      reply.raw.off('close', onClose);
    }
    const tokens = items.reduce((s, it) => s + it.ids.length, 0);
    reply.header('x-compute-tokens', String(tokens));
    reply.header('x-queue-time', String(Math.round(finished.queueMs)));
    reply.header('x-inference-time', String(Math.round(finished.inferenceMs)));
    reply.header('x-total-time', String(Math.round(performance.now() - started)));
    return { model: m, results: finished.results as T[], tokens };
  }
}
