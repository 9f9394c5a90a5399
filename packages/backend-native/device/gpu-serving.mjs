// @tessera/server on the GPU: docs/s and latency at concurrency 1, 16 and 64 (JSON float rows
// without and with formatting threads, base64 rows) against offline encodeDocuments on the same
// card, the texts per forward pass the dynamic batching reaches, and the rows the server returns
// against direct calls. The server runs in a child process (this file with argv[2] = 'serve') so
// the load's JSON and sockets do not share its event loop; with TESSERA_PROFILE=1 the last server
// is CPU-profiled and its main thread's heaviest functions printed. Writes $OUT/serving.json.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Tessera } from '@tessera/core';
import { SYNTHETIC_SHAPES, writeSyntheticColbert } from '@tessera/core/testing';
import { backend } from '@tessera/backend-native';
import { createServer } from '@tessera/server';

const device = process.env.TESSERA_DEVICE ?? 'cuda:0';

if (process.argv[2] === 'serve') {
  const t = await Tessera.create({ model: process.argv[3], backend, device });
  const formatThreads = process.argv[4] === 'auto' ? undefined : Number(process.argv[4]);
  const server = await createServer({
    models: [t],
    disposeModels: true,
    limits: { maxConcurrentRequests: 1024 },
    formatThreads,
  });
  process.stdout.write(`${await server.listen({ port: 0 })}\n`);
  process.once('SIGTERM', () => void server.close().then(() => process.exit(0)));
} else {
  const root = process.env.TESSERA_ROOT ?? process.cwd();
  const out = process.env.OUT ?? '/tmp';
  const seconds = Number(process.env.TESSERA_SECONDS ?? 6);
  const texts = readFileSync(join(root, 'bench/corpus/passages.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l).text);
  const docs = texts.slice(0, Number(process.env.TESSERA_DOCS ?? texts.length));
  const dir = '/tmp/tessera-gpu/small';
  mkdirSync(dir, { recursive: true });
  writeSyntheticColbert(dir, SYNTHETIC_SHAPES.small, {
    tokenizerDir: join(root, 'fixtures/colbert-stanford'),
    docMaxlen: 300,
  });
  const percentile = (xs, p) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] : NaN;
  };
  const r2 = (x) => Math.round(x * 100) / 100;

  const t = await Tessera.create({ model: dir, backend, device });
  const results = { device, engine: t.engine, batchLimits: t.batchLimits, documents: docs.length, seconds };
  await t.encodeDocuments(docs.slice(0, 64));
  let best = 0;
  for (let rep = 0; rep < 2; rep++) {
    const t0 = performance.now();
    await t.encodeDocuments(docs);
    best = Math.max(best, docs.length / ((performance.now() - t0) / 1000));
  }
  results.offlineDocsPerSec = Math.round(best);
  console.log(
    `offline encodeDocuments: ${results.offlineDocsPerSec} docs/s (${t.engine}; batch budget ${JSON.stringify(t.batchLimits)})`,
  );

  const startServer = async (formatThreads, profile) => {
    const flags = profile ? ['--cpu-prof', `--cpu-prof-dir=${join(out, 'prof')}`] : [];
    const child = spawn(
      process.execPath,
      [...flags, fileURLToPath(import.meta.url), 'serve', dir, String(formatThreads)],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const [line] = await once(createInterface({ input: child.stdout }), 'line');
    return {
      child,
      base: line,
      url: new URL(line),
      close: async () => {
        child.kill('SIGTERM');
        await once(child, 'exit');
      },
    };
  };
  let server = await startServer('auto', false);
  let { base, url } = server;
  const post = (agent, text, format, at = url) =>
    new Promise((resolve, reject) => {
      const body = JSON.stringify({ input: text, input_type: 'document', embedding_type: format });
      const t0 = performance.now();
      const req = request(
        {
          host: at.hostname,
          port: at.port,
          path: '/v1/multi-vector',
          method: 'POST',
          agent,
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        },
        (res) => {
          const chunks = [];
          res.on('data', (c) => chunks.push(c));
          res.on('end', () =>
            res.statusCode === 200
              ? resolve({ ms: performance.now() - t0, body: Buffer.concat(chunks) })
              : reject(new Error(`status ${res.statusCode}: ${Buffer.concat(chunks)}`)),
          );
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  const histogram = async (name) => {
    const text = await (await fetch(`${base}/metrics`)).text();
    const total = (suffix) =>
      text
        .split('\n')
        .filter((l) => l.startsWith(`${name}_${suffix}`))
        .reduce((s, l) => s + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
    return { sum: total('sum'), count: total('count') };
  };

  try {
    // Exactness: 64 concurrent requests (batched together by the server) against direct calls.
    const direct = await t.encodeDocuments(docs.slice(0, 64));
    const agent64 = new Agent({ keepAlive: true, maxSockets: 64 });
    for (const format of ['float', 'base64']) {
      const answers = await Promise.all(docs.slice(0, 64).map((d) => post(agent64, d, format)));
      let maxDiff = 0;
      answers.forEach((a, i) => {
        const rows = JSON.parse(a.body.toString()).data[0].embeddings;
        const want = direct[i];
        if (rows.length !== want.rows)
          throw new Error(`document ${i}: ${rows.length} rows served, ${want.rows} direct`);
        rows.forEach((row, k) => {
          const got =
            format === 'float'
              ? Float32Array.from(row)
              : new Float32Array(Uint8Array.from(Buffer.from(row, 'base64')).buffer);
          for (let j = 0; j < want.dim; j++)
            maxDiff = Math.max(maxDiff, Math.abs(got[j] - want.data[k * want.dim + j]));
        });
      });
      results[`maxDiff_${format}`] = maxDiff;
      console.log(`64 concurrent requests, ${format} rows: largest |served - direct| ${maxDiff.toExponential(2)}`);
    }
    agent64.destroy();

    // Concurrency 1 against the direct call: per text, one direct call, then the same text as float
    // rows (split over the formatting threads), as base64 rows, and as float rows from a server
    // without formatting threads.
    const plain = await startServer(0, false);
    const agent1 = new Agent({ keepAlive: true, maxSockets: 1 });
    const agentPlain = new Agent({ keepAlive: true, maxSockets: 1 });
    const diffs = { float: [], base64: [], floatNoThreads: [] };
    const directMs = [];
    for (const d of docs.slice(0, 8)) {
      await post(agent1, d, 'float');
      await post(agentPlain, d, 'float', plain.url);
    }
    for (const d of docs.slice(0, 200)) {
      const t0 = performance.now();
      await t.encodeDocuments([d]);
      const ms = performance.now() - t0;
      directMs.push(ms);
      diffs.float.push((await post(agent1, d, 'float')).ms - ms);
      diffs.base64.push((await post(agent1, d, 'base64')).ms - ms);
      diffs.floatNoThreads.push((await post(agentPlain, d, 'float', plain.url)).ms - ms);
    }
    agent1.destroy();
    agentPlain.destroy();
    await plain.close();
    results.directP50Ms = r2(percentile(directMs, 50));
    results.c1DiffP50Ms = Object.fromEntries(Object.entries(diffs).map(([k, v]) => [k, r2(percentile(v, 50))]));
    console.log(
      `concurrency 1: direct call p50 ${results.directP50Ms} ms; served - direct, median: float rows ` +
        `+${results.c1DiffP50Ms.float} ms (split over the formatting threads), base64 ` +
        `+${results.c1DiffP50Ms.base64} ms, float rows without formatting threads ` +
        `+${results.c1DiffP50Ms.floatNoThreads} ms`,
    );

    results.formatThreads = (await (await fetch(`${base}/info`)).json()).format_threads;
    await server.close();

    // Load: c keep-alive clients, each sending one document after the other; docs/s over the last three quarters.
    results.levels = [];
    const profile = process.env.TESSERA_PROFILE === '1';
    for (const [format, threads] of [
      ['float', 0],
      ['base64', 'auto'],
      ['float', 'auto'],
    ]) {
      server = await startServer(threads, profile && format === 'float' && threads === 'auto');
      ({ base, url } = server);
      for (const c of [1, 16, 64]) {
        const agent = new Agent({ keepAlive: true, maxSockets: c });
        const [size0] = [await histogram('tessera_batch_size')];
        let next = 0;
        let steady = 0;
        const latencies = [];
        const started = performance.now();
        const from = started + (seconds * 1000) / 4;
        const until = started + seconds * 1000;
        await Promise.all(
          Array.from({ length: c }, async () => {
            while (performance.now() < until) {
              const { ms } = await post(agent, docs[next++ % docs.length], format);
              latencies.push(ms);
              if (performance.now() >= from && performance.now() <= until) steady++;
            }
          }),
        );
        const size1 = await histogram('tessera_batch_size');
        agent.destroy();
        const level = {
          format,
          formatThreads: threads === 'auto' ? results.formatThreads : threads,
          concurrency: c,
          docsPerSec: Math.round(steady / ((until - from) / 1000)),
          p50Ms: r2(percentile(latencies, 50)),
          p99Ms: r2(percentile(latencies, 99)),
          meanBatchSize: r2((size1.sum - size0.sum) / Math.max(1, size1.count - size0.count)),
        };
        level.ratio = r2(level.docsPerSec / results.offlineDocsPerSec);
        results.levels.push(level);
        console.log(
          `${format} rows, ${level.formatThreads} formatting threads, concurrency ${c}: ${level.docsPerSec} ` +
            `docs/s (${level.ratio}x offline), p50 ${level.p50Ms} ms, p99 ${level.p99Ms} ms, ` +
            `${level.meanBatchSize} texts per forward pass`,
        );
      }
      await server.close();
      server = undefined;
    }
  } finally {
    await server?.close();
    await t.dispose();
  }
  if (process.env.TESSERA_PROFILE === '1') results.profile = heaviest(join(out, 'prof'));
  writeFileSync(join(out, 'serving.json'), `${JSON.stringify(results, null, 2)}\n`);
}

/** The main thread's self time by function in the profile the server wrote, heaviest first. */
function heaviest(profDir) {
  const file = readdirSync(profDir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => join(profDir, f))
    .sort((a, b) => statSync(b).size - statSync(a).size)[0];
  const p = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map();
  let total = 0;
  p.samples.forEach((id, i) => {
    const dt = p.timeDeltas[i] ?? 0;
    total += dt;
    const f = byId.get(id).callFrame;
    const key = `${f.functionName || '(anonymous)'} ${f.url.split('/').slice(-2).join('/')}:${f.lineNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + dt);
  });
  const top = [...self]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 30)
    .map(([k, us]) => ({ fn: k, share: Math.round((us / total) * 1000) / 10 }));
  console.log(`server main thread, ${(total / 1e6).toFixed(1)} s profiled; self time by function (%):`);
  for (const x of top) console.log(`  ${String(x.share).padStart(5)}  ${x.fn}`);
  return { seconds: total / 1e6, top };
}
