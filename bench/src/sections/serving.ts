import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { Agent, request } from 'node:http';
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
  /** For the concurrency levels: offline docs/s on the same texts just before and after the level, and docs/s over it. */
  offlineDocsPerSec?: number;
  ratio?: number;
}

export interface ServingResults {
  model: string;
  backend: string;
  /** The model's own batch budget, which the server uses by default. */
  maxBatchTokens: number;
  maxPaddingShare: number | undefined;
  texts: number;
  /** The mean of the offline encodeDocuments runs (offlineRuns: before the first level and after each). */
  offlineDocsPerSec: number;
  offlineRuns: number[];
  /** A direct encodeDocuments([text]) call, one at a time: p50 of the direct calls in the paired float run. */
  directP50Ms: number;
  /** Concurrency 1 against the direct call, paired in alternating blocks (pairedC1), per row format. */
  pairedC1: PairedC1[];
  levels: ServingLevel[];
  /** served docs/s at concurrency 64 / offline encodeDocuments docs/s around it. */
  ratioAt64: number;
  /** At twice max-concurrent-requests: what came back. */
  overload: {
    connections: number;
    limit: number;
    ok: number;
    tooMany: number;
    other: number;
    errors: number;
    timeouts: number;
  };
  /** The idle-queue wait window at concurrency 16 (the --quick run measures the default only). */
  waitWindow: Array<{ waitMs: number; docsPerSec: number; p50Ms: number }>;
  /** Concurrency 1 with base64 rows (the levels above ask for JSON floats). */
  base64AtC1: ServingLevel;
  /** Not in a --quick run, as teiBudgetAt16. */
  base64At16?: ServingLevel;
  /** Concurrency 16 with TEI's GPU-sized budget (16384 tokens, 64 texts, padding uncapped) instead of the model's CPU one. */
  teiBudgetAt16?: ServingLevel;
}

export interface PairedC1 {
  format: 'float' | 'base64';
  requests: number;
  directP50Ms: number;
  servedP50Ms: number;
  /** The median of (served - direct) over the same texts. */
  diffP50Ms: number;
  /**
   * The floor: a bare node:http server in another process, kept busy for the direct call's time
   * on each text and then answering as many bytes as the server did; the median of what the
   * client saw beyond the busy time. diffP50Ms less this is the server's own part.
   */
  floorP50Ms: number;
}

/** One sequential POST on a keep-alive connection; resolves with the ms until the whole body arrived, and its bytes. */
function timedPost(
  url: URL,
  agent: Agent,
  body: string,
  path = '/v1/multi-vector',
): Promise<{ ms: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path,
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        let bytes = 0;
        res.on('data', (chunk: Buffer) => (bytes += chunk.length));
        res.on('end', () =>
          res.statusCode === 200
            ? resolve({ ms: performance.now() - t0, bytes })
            : reject(new Error(`the bench server answered ${res.statusCode}`)),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Concurrency 1 against the direct call, measured so this machine's drift (±15-30% over
 * seconds) falls on both: blocks of direct encodeDocuments([text]) calls and of served requests
 * for the same texts alternate, with the direct model and the server both loaded and only one
 * of them busy at a time. The client is a plain keep-alive http request that reads the whole body.
 * A third block per round asks the floor server (floor-child.ts) for the same busy time and bytes.
 */
async function pairedC1(
  t: Tessera,
  serverUrl: string,
  floorUrl: string,
  texts: string[],
  format: 'float' | 'base64',
  blocks: number,
  perBlock: number,
): Promise<PairedC1> {
  const url = new URL(serverUrl);
  const floor = new URL(floorUrl);
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const floorAgent = new Agent({ keepAlive: true, maxSockets: 1 });
  const body = (x: string) => JSON.stringify({ input: x, input_type: 'document', embedding_type: format });
  const floorPath = (busy: number, bytes: number) => `/floor?busy=${busy.toFixed(3)}&bytes=${bytes}`;
  for (const x of texts.slice(0, 4)) {
    await t.encodeDocuments([x]);
    const r = await timedPost(url, agent, body(x));
    await timedPost(floor, floorAgent, body(x), floorPath(30, r.bytes));
  }
  const direct: number[] = [];
  const served: Array<{ ms: number; bytes: number }> = [];
  const floors: number[] = [];
  for (let b = 0; b < blocks; b++) {
    const block = Array.from({ length: perBlock }, (_, i) => texts[(b * perBlock + i) % texts.length]!);
    for (const x of block) {
      const t0 = performance.now();
      await t.encodeDocuments([x]);
      direct.push(performance.now() - t0);
    }
    for (const x of block) served.push(await timedPost(url, agent, body(x)));
    for (const [i, x] of block.entries()) {
      const k = b * perBlock + i;
      const r = await timedPost(floor, floorAgent, body(x), floorPath(direct[k]!, served[k]!.bytes));
      floors.push(r.ms - direct[k]!);
    }
  }
  agent.destroy();
  floorAgent.destroy();
  return {
    format,
    requests: served.length,
    directP50Ms: round(percentile(direct, 50), 1),
    servedP50Ms: round(
      percentile(
        served.map((s) => s.ms),
        50,
      ),
      1,
    ),
    diffP50Ms: round(
      percentile(
        served.map((s, i) => s.ms - direct[i]!),
        50,
      ),
      2,
    ),
    floorP50Ms: round(percentile(floors, 50), 2),
  };
}

/**
 * One request = one document to POST /v1/multi-vector, cycling through the texts. docs/s counts
 * the answers in the last three quarters of the run: at concurrency 64 a request takes seconds,
 * so the first answers come late and the requests cut off at the end were partly served; counting
 * a steady window avoids both edges.
 */
async function load(
  url: string,
  texts: string[],
  connections: number,
  seconds: number,
  format = 'float',
): Promise<{
  latencies: number[];
  statuses: Map<number, number>;
  errors: number;
  timeouts: number;
  docsPerSec: number;
}> {
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
        setupRequest: (req: Record<string, unknown>) => ({
          ...req,
          body: JSON.stringify({ input: texts[i++ % texts.length], input_type: 'document', embedding_type: format }),
        }),
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
  return {
    latencies,
    statuses,
    errors: result.errors,
    timeouts: result.timeouts,
    docsPerSec: steady / ((ended - from) / 1000),
  };
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
function startServer(
  model: string,
  threads: number,
  limits: Partial<ServerLimits>,
  batch?: Partial<BatchLimits>,
): Promise<{ url: string; close: () => Promise<void> }> {
  return startChild('../serve-child.js', [JSON.stringify({ model, threads, limits, batch })]);
}

/** Starts a bench child process that prints its URL; close() stops it and waits for it to exit. */
async function startChild(script: string, args: string[]): Promise<{ url: string; close: () => Promise<void> }> {
  const child = spawn(process.execPath, [fileURLToPath(new URL(script, import.meta.url)), ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! });
  const [url] = (await Promise.race([
    once(lines, 'line'),
    once(child, 'exit').then(([code]) => Promise.reject(new Error(`${script} exited with ${code} before listening`))),
  ])) as [string];
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
export async function servingBench(
  modelDir: string,
  modelName: string,
  o: { threads: number; seconds: number; texts: string[]; concurrencies: number[]; quick?: boolean },
): Promise<ServingResults> {
  // The texts a level's requests carry in its seconds (each load cycles from the first text).
  const sample = o.texts.slice(0, Math.min(o.texts.length, 240));
  const offlineRun = async (t: Tessera) => {
    await t.encodeDocuments(sample.slice(0, 8));
    const t0 = performance.now();
    await t.encodeDocuments(sample);
    return sample.length / ((performance.now() - t0) / 1000);
  };
  const t = await Tessera.create({ model: modelDir, backend: 'onnx', device: 'cpu', threads: o.threads });
  const { maxTokens: maxBatchTokens, maxPaddingShare } = t.batchLimits;
  try {
    const offlineBefore = await offlineRun(t);
    const engine = t.engine;
    const pairedServer = await startServer(modelDir, o.threads, {});
    const floorServer = await startChild('../floor-child.js', []);
    const paired: PairedC1[] = [];
    try {
      const blocks = Math.max(2, o.seconds);
      for (const format of ['float', 'base64'] as const)
        paired.push(await pairedC1(t, pairedServer.url, floorServer.url, o.texts, format, blocks, 10));
    } finally {
      await pairedServer.close();
      await floorServer.close();
    }
    // The direct model stays loaded (idle) while the servers run, to measure offline between levels.
    const serve = (limits: Partial<ServerLimits>, batch?: Partial<BatchLimits>) =>
      startServer(modelDir, o.threads, limits, batch);
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
    // Offline runs between the levels: each level's ratio is against the runs just before and
    // after it, so this machine's drift over minutes does not fall on the ratio.
    const offlineRuns = [offlineBefore];
    const levels: ServingLevel[] = [];
    for (const c of o.concurrencies) {
      const l = await level(c);
      offlineRuns.push(await offlineRun(t));
      const around = (offlineRuns.at(-1)! + offlineRuns.at(-2)!) / 2;
      levels.push({ ...l, offlineDocsPerSec: round(around), ratio: round(l.docsPerSec / around) });
    }
    const base64AtC1 = await level(1, 'base64');
    // A --quick run (CI's check that the pipeline runs) leaves out the comparisons that each start a server.
    const base64At16 = o.quick ? undefined : await level(16, 'base64');
    const teiBudgetAt16 = o.quick
      ? undefined
      : await level(16, 'float', { maxTokens: 16384, maxBatchSize: 64, maxPaddingShare: 1 });
    const waitWindow: ServingResults['waitWindow'] = [];
    for (const waitMs of o.quick ? [0] : [0, 2, 5]) {
      const server = await serve({ batchWaitMs: waitMs });
      const r = await load(server.url, o.texts, 16, o.seconds);
      await server.close();
      waitWindow.push({ waitMs, docsPerSec: round(r.docsPerSec), p50Ms: round(percentile(r.latencies, 50), 1) });
    }
    const limit = 32;
    const server = await serve({ maxConcurrentRequests: limit });
    const over = await load(server.url, o.texts, 2 * limit, Math.max(1, Math.round(o.seconds / 2)));
    await server.close();
    const offline = offlineRuns.reduce((a, b) => a + b, 0) / offlineRuns.length;
    const at64 = levels.find((l) => l.concurrency === 64);
    return {
      model: modelName,
      backend: engine,
      maxBatchTokens,
      maxPaddingShare,
      texts: o.texts.length,
      offlineDocsPerSec: round(offline),
      offlineRuns: offlineRuns.map((x) => round(x)),
      directP50Ms: paired[0]!.directP50Ms,
      pairedC1: paired,
      levels,
      ratioAt64: at64?.ratio ?? 0,
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
      ...(base64At16 ? { base64At16 } : {}),
      ...(teiBudgetAt16 ? { teiBudgetAt16 } : {}),
    };
  } finally {
    await t.dispose();
  }
}
