// The browser section's page (bundled by bench/src/sections/browser.ts with esbuild, as an app
// would be): Tessera on @tessera/backend-web against bare onnxruntime-web on the same graph,
// the same token inputs and the same engine (one onnxruntime-web, one thread count per page).
import { DocumentScorer, Tessera } from '@tessera/core';
import '@tessera/backend-web';
import * as ort from 'onnxruntime-web';
import { maxSimData } from './rows.js';

export interface PageRequest {
  model: string;
  graph: string;
  texts: string[];
  rounds: number;
  threads: number;
  wasmPaths: string;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function encodeBench(req: PageRequest) {
  ort.env.wasm.wasmPaths = req.wasmPaths;
  ort.env.wasm.numThreads = req.threads;
  const start = performance.now();
  const opts = { model: req.model, backend: 'web', threads: req.threads, backendOptions: { wasmPaths: req.wasmPaths } };
  const one = await Tessera.create({ ...opts, batch: { maxBatchSize: 1 } });
  await one.encodeDocuments([req.texts[0]!]);
  const firstEmbeddingMs = performance.now() - start;
  const batched = await Tessera.create(opts);
  // The token inputs Tessera feeds the model, fed to a bare session of the same graph.
  const items = await one.prepare(req.texts, 'document');
  const bytes = new Uint8Array(await (await fetch(req.graph)).arrayBuffer());
  const session = await ort.InferenceSession.create(bytes, {
    executionProviders: ['wasm'],
    graphOptimizationLevel: 'all',
  });
  const feeds = items.map((it) => {
    const n = it.ids.length;
    const t = (xs: ArrayLike<number>) =>
      new ort.Tensor(
        'int64',
        BigInt64Array.from(xs, (x) => BigInt(x)),
        [1, n],
      );
    const all: Record<string, ort.Tensor> = {
      input_ids: t(it.ids),
      attention_mask: t(it.attention),
      token_type_ids: t(new Array(n).fill(0)),
    };
    return Object.fromEntries(session.inputNames.map((name) => [name, all[name]!]));
  });
  const bare = async () => {
    for (const f of feeds) await session.run(f);
  };
  const passes = {
    tessera: () => one.encodeDocuments(req.texts),
    bare,
    batched: () => batched.encodeDocuments(req.texts),
  };
  // Warm (WebAssembly tier-up makes the first runs slower), then alternate rounds.
  for (const run of Object.values(passes)) await run();
  const ms: Record<string, number[]> = { tessera: [], bare: [], batched: [] };
  for (let r = 0; r < req.rounds; r++)
    for (const [name, run] of Object.entries(passes)) {
      const t0 = performance.now();
      await run();
      ms[name]!.push(performance.now() - t0);
    }
  const docsPerSec = (name: string) => (req.texts.length * 1000) / median(ms[name]!);
  const result = {
    engine: one.engine,
    isolated: crossOriginIsolated,
    firstEmbeddingMs,
    tesseraDocsPerSec: docsPerSec('tessera'),
    bareDocsPerSec: docsPerSec('bare'),
    batchedDocsPerSec: docsPerSec('batched'),
  };
  await session.release();
  await one.dispose();
  await batched.dispose();
  return result;
}

/** core's MaxSim kernel in the page: 1 query x `documents` documents, median ms of `rounds`. */
async function maxSimBench(documents: number, docRows: number, queryRows: number, dim: number, rounds: number) {
  const { docs, query } = maxSimData(documents, docRows, queryRows, dim);
  const scorer = await DocumentScorer.create(docs, {});
  const times: number[] = [];
  let checksum = 0;
  for (let r = 0; r < rounds + 1; r++) {
    const t0 = performance.now();
    const s = await scorer.score(query);
    if (r > 0) times.push(performance.now() - t0);
    checksum = s[0]!;
  }
  await scorer.dispose();
  return { ms: median(times), engine: scorer.engine, checksum };
}

export interface DtypeRequest {
  model: string;
  texts: string[];
  queries: string[];
  rounds: number;
  threads: number;
  wasmPaths: string;
}

const webOptions = (req: DtypeRequest, dtype: string) => ({
  model: req.model,
  backend: 'web',
  dtype,
  threads: req.threads,
  backendOptions: { wasmPaths: req.wasmPaths },
  batch: { maxBatchSize: 1 },
});

/** Tessera.create + the first document's embedding for a dtype (the caller gives a fresh page). */
async function firstEmbedding(req: DtypeRequest, dtype: string) {
  const start = performance.now();
  const t = await Tessera.create(webOptions(req, dtype));
  await t.encodeDocuments([req.texts[0]!]);
  const ms = performance.now() - start;
  await t.dispose();
  return ms;
}

/**
 * The q8 graph against fp32 in one page: warm docs/s in alternating rounds, and both dtypes' rows
 * of the texts and queries (the caller compares them).
 */
async function dtypeBench(req: DtypeRequest) {
  const models = {
    fp32: await Tessera.create(webOptions(req, 'fp32')),
    q8: await Tessera.create(webOptions(req, 'q8')),
  };
  const rows = (m: { data: Float32Array }) => Array.from(m.data);
  const out: Record<string, { docs: number[][]; queries: number[][]; ms: number[] }> = {};
  for (const [name, t] of Object.entries(models))
    out[name] = {
      docs: (await t.encodeDocuments(req.texts)).map(rows),
      queries: (await t.encodeQueries(req.queries)).map(rows),
      ms: [],
    };
  for (let r = 0; r < req.rounds; r++)
    for (const [name, t] of Object.entries(models)) {
      const t0 = performance.now();
      await t.encodeDocuments(req.texts);
      out[name]!.ms.push(performance.now() - t0);
    }
  for (const t of Object.values(models)) await t.dispose();
  return Object.fromEntries(
    Object.entries(out).map(([name, o]) => [
      name,
      { docs: o.docs, queries: o.queries, docsPerSec: (req.texts.length * 1000) / median(o.ms) },
    ]),
  );
}

Object.assign(window, { encodeBench, maxSimBench, dtypeBench, firstEmbedding });
