import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { Tessera, type BatchLimits } from '@tessera/core';
import type { ServerLimits } from '@tessera/server';
import { percentile, round } from '../measure.js';

export interface ServingLevel {
  concurrency: number;
  docsPerSec: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  requests: number;
  /** Mean padded tokens per forward pass over --max-batch-tokens, and texts per pass. */
  meanBatchFill: number;
  meanBatchSize: number;
  non2xx: number;
  errors: number;
}

export interface ServingResults {
  model: string;
  backend: string;
  /** The model's own batch budget, which the server uses by default. */
  maxBatchTokens: number;
  maxPaddingShare: number | undefined;
  texts: number;
  /** The mean of offline encodeDocuments before and after the servers ran (offlineRuns). */
  offlineDocsPerSec: number;
  offlineRuns: number[];
  /** A direct encodeDocuments([text]) call, one at a time, over the texts concurrency 1 sends. */
  directP50Ms: number;
  levels: ServingLevel[];
  /** served docs/s at concurrency 64 / offline encodeDocuments docs/s. */
  ratioAt64: number;
  /** At twice max-concurrent-requests: what came back. */
  overload: { connections: number; limit: number; ok: number; tooMany: number; other: number; errors: number; timeouts: number };
  /** The idle-queue wait window at concurrency 16. */
  waitWindow: Array<{ waitMs: number; docsPerSec: number; p50Ms: number }>;
  /** Concurrency 1 with base64 rows (the levels above ask for JSON floats). */
  base64AtC1: ServingLevel;
  base64At16: ServingLevel;
  /** Concurrency 16 with TEI's GPU-sized budget (16384 tokens, 64 texts, padding uncapped) instead of the model's CPU one. */
  teiBudgetAt16: ServingLevel;
}

/**
 * One request = one document to POST /v1/multi-vector, cycling through the texts. docs/s counts
 * the answers in the last three quarters of the run: at concurrency 64 a request takes seconds,
 * so the first answers come late and the requests cut off at the end were partly served; counting
 * a steady window avoids both edges.
 */
async function load(url: string, texts: string[], connections: number, seconds: number, format = 'float'): Promise<{ latencies: number[]; statuses: Map<number, number>; errors: number; timeouts: number; docsPerSec: number }> {
  let i = 0;
  const latencies: number[] = [];
  const statuses = new Map<number, number>();
  const started = performance.now();
  const from = started + (seconds * 1000) / 4;
  let steady = 0;
  const instance = autocannon({
    url,
    connections,
    duration: seconds,
    timeout: 30,
    requests: [
      {
        method: 'POST',
        path: '/v1/multi-vector',
        headers: { 'content-type': 'application/json' },
        setupRequest: (req: Record<string, unknown>) => ({ ...req, body: JSON.stringify({ input: texts[i++ % texts.length], input_type: 'document', embedding_type: format }) }),
      },
    ],
  });
  instance.on('response', (_c: unknown, status: number, _bytes: number, ms: number) => {
    statuses.set(status, (statuses.get(status) ?? 0) + 1);
    if (status !== 200) return;
    latencies.push(ms);
    if (performance.now() >= from) steady++;
  });
  const result = (await instance) as unknown as { errors: number; timeouts: number };
  const ended = performance.now();
  return { latencies, statuses, errors: result.errors, timeouts: result.timeouts, docsPerSec: steady / ((ended - from) / 1000) };
}

/** A histogram's sum and count from the server's Prometheus text. */
async function histogram(url: string, name: string): Promise<{ sum: number; count: number }> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const total = (suffix: string) =>
    text
      .split('\n')
      .filter((l) => l.startsWith(`${name}_${suffix}`))
      .reduce((s, l) => s + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
  return { sum: total('sum'), count: total('count') };
}

/** Starts a server process on the model; close() stops it and waits for it to exit. */
async function startServer(model: string, threads: number, limits: Partial<ServerLimits>, batch?: Partial<BatchLimits>): Promise<{ url: string; close: () => Promise<void> }> {
  const child = spawn(process.execPath, [fileURLToPath(new URL('../serve-child.js', import.meta.url)), JSON.stringify({ model, threads, limits, batch })], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! });
  const [url] = (await Promise.race([once(lines, 'line'), once(child, 'exit').then(([code]) => Promise.reject(new Error(`the bench server exited with ${code} before listening`)))])) as [string];
  return {
    url,
    close: async () => {
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/**
 * Serving on loopback: docs/s and latency percentiles at several concurrencies against the
 * same model's offline encodeDocuments, the batch fill the dynamic batching reaches, the wait
 * window, and what comes back at twice the concurrency limit.
 */
export async function servingBench(modelDir: string, modelName: string, o: { threads: number; seconds: number; texts: string[]; concurrencies: number[] }): Promise<ServingResults> {
  const open = () => Tessera.create({ model: modelDir, backend: 'onnx', device: 'cpu', threads: o.threads });
  const offlineRun = async (t: Tessera) => {
    await t.encodeDocuments(o.texts.slice(0, 8));
    const t0 = performance.now();
    await t.encodeDocuments(o.texts);
    return o.texts.length / ((performance.now() - t0) / 1000);
  };
  const t = await open();
  const { maxTokens: maxBatchTokens, maxPaddingShare } = t.batchLimits;
  try {
    const offlineBefore = await offlineRun(t);
    let t0: number;
    const direct: number[] = [];
    const until = performance.now() + o.seconds * 1000;
    for (let i = 0; performance.now() < until; i++) {
      t0 = performance.now();
      await t.encodeDocuments([o.texts[i % o.texts.length]!]);
      direct.push(performance.now() - t0);
    }
    const engine = t.engine;
    // One engine at a time: the servers below load their own.
    await t.dispose();
    const serve = (limits: Partial<ServerLimits>, batch?: Partial<BatchLimits>) => startServer(modelDir, o.threads, limits, batch);
    const level = async (c: number, format = 'float', batch?: Partial<BatchLimits>): Promise<ServingLevel> => {
      const server = await serve({}, batch);
      const url = server.url;
      await load(url, o.texts, Math.min(c, 4), 1, format); // warm-up
      const [fill0, size0] = [await histogram(url, 'tessera_batch_fill'), await histogram(url, 'tessera_batch_size')];
      const r = await load(url, o.texts, c, o.seconds, format);
      const [fill1, size1] = [await histogram(url, 'tessera_batch_fill'), await histogram(url, 'tessera_batch_size')];
      await server.close();
      const ok = r.statuses.get(200) ?? 0;
      return {
        concurrency: c,
        docsPerSec: round(r.docsPerSec),
        p50Ms: round(percentile(r.latencies, 50), 1),
        p95Ms: round(percentile(r.latencies, 95), 1),
        p99Ms: round(percentile(r.latencies, 99), 1),
        requests: ok,
        meanBatchFill: round((fill1.sum - fill0.sum) / Math.max(1, fill1.count - fill0.count), 3),
        meanBatchSize: round((size1.sum - size0.sum) / Math.max(1, size1.count - size0.count), 2),
        non2xx: [...r.statuses].filter(([s]) => s !== 200).reduce((a, [, n]) => a + n, 0),
        errors: r.errors,
      };
    };
    const levels: ServingLevel[] = [];
    for (const c of o.concurrencies) levels.push(await level(c));
    const base64AtC1 = await level(1, 'base64');
    const base64At16 = await level(16, 'base64');
    const teiBudgetAt16 = await level(16, 'float', { maxTokens: 16384, maxBatchSize: 64, maxPaddingShare: 1 });
    const waitWindow: ServingResults['waitWindow'] = [];
    for (const waitMs of [0, 2, 5]) {
      const server = await serve({ batchWaitMs: waitMs });
      const r = await load(server.url, o.texts, 16, o.seconds);
      await server.close();
      waitWindow.push({ waitMs, docsPerSec: round(r.docsPerSec), p50Ms: round(percentile(r.latencies, 50), 1) });
    }
    const limit = 32;
    const server = await serve({ maxConcurrentRequests: limit });
    const over = await load(server.url, o.texts, 2 * limit, Math.max(1, Math.round(o.seconds / 2)));
    await server.close();
    // Offline again, after the servers: this machine's speed drifts, and the ratio needs both ends.
    const again = await open();
    const offlineAfter = await offlineRun(again).finally(() => again.dispose());
    const offline = (offlineBefore + offlineAfter) / 2;
    const at64 = levels.find((l) => l.concurrency === 64);
    return {
      model: modelName,
      backend: engine,
      maxBatchTokens,
      maxPaddingShare,
      texts: o.texts.length,
      offlineDocsPerSec: round(offline),
      offlineRuns: [round(offlineBefore), round(offlineAfter)],
      directP50Ms: round(percentile(direct, 50), 1),
      levels,
      ratioAt64: at64 ? round(at64.docsPerSec / offline) : 0,
      overload: {
        connections: 2 * limit,
        limit,
        ok: over.statuses.get(200) ?? 0,
        tooMany: over.statuses.get(429) ?? 0,
        other: [...over.statuses].filter(([s]) => s !== 200 && s !== 429).reduce((a, [, n]) => a + n, 0),
        errors: over.errors,
        timeouts: over.timeouts,
      },
      waitWindow,
      base64AtC1,
      base64At16,
      teiBudgetAt16,
    };
  } finally {
    await t.dispose();
  }
}
