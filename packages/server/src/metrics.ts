import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

const SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** The server's Prometheus metrics, on a registry of its own (several servers may share a process). */
export class ServerMetrics {
  readonly registry = new Registry();
  readonly requestDuration = new Histogram({
    name: 'tessera_request_duration_seconds',
    help: 'Time from request to response',
    labelNames: ['route', 'status'],
    buckets: SECONDS,
    registers: [this.registry],
  });
  readonly queueDuration = new Histogram({
    name: 'tessera_queue_duration_seconds',
    help: 'Time a request waited before its first batch ran',
    labelNames: ['model', 'role'],
    buckets: SECONDS,
    registers: [this.registry],
  });
  readonly inferenceDuration = new Histogram({
    name: 'tessera_inference_duration_seconds',
    help: 'Time of one forward pass',
    labelNames: ['model', 'role'],
    buckets: SECONDS,
    registers: [this.registry],
  });
  readonly queueSize = new Gauge({
    name: 'tessera_queue_size',
    help: 'Texts waiting for a batch',
    labelNames: ['model', 'role'],
    registers: [this.registry],
  });
  readonly batchSize = new Histogram({
    name: 'tessera_batch_size',
    help: 'Texts in one forward pass',
    labelNames: ['model', 'role'],
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
    registers: [this.registry],
  });
  readonly batchTokens = new Histogram({
    name: 'tessera_batch_tokens',
    help: 'Real tokens in one forward pass',
    labelNames: ['model', 'role'],
    buckets: [64, 256, 1024, 2048, 4096, 8192, 16384, 32768],
    registers: [this.registry],
  });
  readonly batchFill = new Histogram({
    name: 'tessera_batch_fill',
    help: 'Padded tokens of a forward pass over max-batch-tokens',
    labelNames: ['model', 'role'],
    buckets: [0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 1],
    registers: [this.registry],
  });
  readonly paddingShare = new Histogram({
    name: 'tessera_padding_share',
    help: 'Share of a forward pass spent on padding',
    labelNames: ['model', 'role'],
    buckets: [0, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1],
    registers: [this.registry],
  });
  readonly failures = new Counter({
    name: 'tessera_failures_total',
    help: 'Requests that failed, by kind (validation, payload, overloaded, unauthorized, not_found, backend, timeout, cancelled)',
    labelNames: ['kind'],
    registers: [this.registry],
  });
  readonly formatDuration = new Histogram({
    name: 'tessera_format_duration_seconds',
    help:
      'Time to write an embedding response as JSON, by where: main (the main thread), pool (one formatting ' +
      'thread, hand-over included) or split (a lone request rows over all of them)',
    labelNames: ['thread'],
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1],
    registers: [this.registry],
  });
  readonly inFlight = new Gauge({
    name: 'tessera_requests_in_flight',
    help: 'Requests accepted and not yet answered',
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'tessera_' });
  }
}
