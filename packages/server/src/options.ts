import type { Store, Tessera } from '@tessera/core';

/** Limits, with text-embeddings-inference's names and defaults where it has them. */
export interface ServerLimits {
  /**
   * Most padded tokens in one forward pass (--max-batch-tokens, TEI's 16384): a ceiling. A model
   * whose own budget, measured per device, is smaller keeps it (1024 on CPU, where a round of
   * mixed lengths run as one 16k-token padded batch served under half the docs/s: bench/README).
   */
  maxBatchTokens: number;
  /** Most texts in one forward pass; default: the model's own batch limit. */
  maxBatchSize: number | undefined;
  /** Requests accepted at once; past it, 429 at once (--max-concurrent-requests). */
  maxConcurrentRequests: number;
  /** Most inputs in one request (--max-client-batch-size). */
  maxClientBatchSize: number;
  /** Largest request body in bytes, refused before parsing (--payload-limit). */
  payloadLimit: number;
  /** Truncate over-long inputs (on), or refuse them with 422 (off). */
  autoTruncate: boolean;
  /**
   * How long an idle queue waits for more requests before its first batch (ms). 0 by
   * measurement: on a busy engine requests already gather while a batch runs (bench/README).
   */
  batchWaitMs: number;
  /** How long shutdown waits for accepted requests (ms). */
  shutdownTimeoutMs: number;
  /**
   * How long a request may wait for its embeddings (ms) before it is answered 504 and its slot
   * freed; its texts still waiting are dropped (--request-timeout; 0: no limit, as TEI). Default
   * 120 s: past any request a healthy queue holds, and before OpenAI's clients give up (600 s),
   * so that a hung engine answers instead of holding every slot.
   */
  requestTimeoutMs: number;
}

export const DEFAULT_LIMITS: ServerLimits = {
  maxBatchTokens: 16384,
  maxBatchSize: undefined,
  maxConcurrentRequests: 512,
  maxClientBatchSize: 32,
  payloadLimit: 2 * 1024 * 1024,
  autoTruncate: true,
  batchWaitMs: 0,
  shutdownTimeoutMs: 30_000,
  requestTimeoutMs: 120_000,
};

/** A loaded model and the name clients use for it (the request's "model" field). */
export interface ServedModel {
  name: string;
  tessera: Tessera;
}

export interface ServerOptions {
  /** The models to serve; the first is the default when a request names none. */
  models: Array<Tessera | ServedModel>;
  limits?: Partial<ServerLimits>;
  /** A Bearer token every route but /health requires (compared in constant time). */
  apiKey?: string;
  /** CORS: off by default; true for any origin, or the allowed origins. */
  cors?: boolean | string | string[];
  /** Dispose the models when the server closes (the CLI's server owns them; a library user's may not). */
  disposeModels?: boolean;
  /**
   * Worker threads that write JSON bodies with float rows while the main thread serves others,
   * * or, for a request that is alone, its rows in shares beside the main thread (format-pool.ts).
   * Default: none when every model runs on the CPU (the engine's threads use
   * the cores), else a quarter of the cores, 1 to 4.
   */
  formatThreads?: number;
  /**
   * Request logging through Fastify's logger (pino): 'json' writes pino's JSON lines, 'pretty'
   * readable lines (pino-pretty), to stdout. Off by default.
   */
  log?: 'json' | 'pretty' | false;
  /**
   * Indexes POST /v1/search answers from, by name (built by tessera index / t.index with one of
   * the served models; checked at startup). The server does not close them.
   */
  indexes?: Record<string, Store>;
}

/** The default formatThreads for these models on a machine with this many cores. */
export function defaultFormatThreads(devices: readonly string[], cores: number): number {
  return devices.every((d) => d === 'cpu') ? 0 : Math.min(4, Math.max(1, Math.floor(cores / 4)));
}
