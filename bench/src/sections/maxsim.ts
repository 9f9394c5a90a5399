import { createRequire } from 'node:module';
import {
  DocumentScorer,
  Tessera,
  quantizeBinary,
  quantizeInt8,
  topK,
  type RowMatrix,
  type ScorerDocument,
} from '@tessera/core';
import { OnnxGraph } from '@tessera/backend-onnx';
import { median, round } from '../measure.js';

/** One way of scoring: an engine's GEMM, core's kernel on some threads, int8 or binary. */
export interface MaxSimPath {
  path: string;
  engine: string;
  /** 1 query x all documents, median ms. */
  oneMs: number;
  /** 64 queries x all documents, ms for all of them. */
  manyMs: number;
  gflops: number;
  /** Document bytes read per second at 1 x N (GB/s). */
  gbps: number;
  /** Share of the measured fp32 GEMM rate / memory bandwidth. */
  ofGemm: number | undefined;
  ofBandwidth: number;
}

export interface MaxSimResult {
  documents: number;
  docRows: number;
  queryRows: number;
  dim: number;
  queries: number;
  /** fp32 GEMM through ONNX Runtime (MLAS), GFLOP/s, measured in the same run. */
  gemmGflops: number | undefined;
  /** memcpy of 256 MiB (read + write), GB/s, measured in the same run. */
  bandwidthGBps: number;
  paths: MaxSimPath[];
  /** Fastest engine path and core's kernel on every thread, 1 x N float32 (for scripts). */
  engineMs: number | undefined;
  coreMs: number;
  int8Top10Agreement: number;
  binaryTop10Agreement: number;
  notes: string[];
}

/**
 * Embeddings of the shape ColBERT gives: unit rows, anisotropic (every row leans to one shared
 * direction, as trained encoders' rows do: random pairs have cosines around 0.3), queries of 32
 * rows, documents of 100. A document holds noisy copies of a random subset of one query's rows
 * (the terms it matches), from none to all of them, so scores spread the way a real ranking's do
 * instead of crowding at a ceiling.
 */
function corpus(documents: number, queries: number, docRows: number, queryRows: number, dim: number) {
  let seed = 99;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648 - 0.5;
  const gauss = () => next() + next() + next() + next();
  const common = Float32Array.from({ length: dim }, gauss);
  const unit = (v: Float32Array) => {
    const n = Math.hypot(...v) || 1;
    for (let j = 0; j < v.length; j++) v[j]! /= n;
    return v;
  };
  unit(common);
  const row = () => {
    const v = unit(Float32Array.from({ length: dim }, gauss));
    for (let j = 0; j < dim; j++) v[j]! += 0.6 * common[j]!;
    return unit(v);
  };
  const matrix = (rows: Float32Array[]): RowMatrix => {
    const data = new Float32Array(rows.length * dim);
    rows.forEach((r, i) => data.set(r, i * dim));
    return { rows: rows.length, dim, data };
  };
  const qRows = Array.from({ length: queries }, () => Array.from({ length: queryRows }, row));
  const qs = qRows.map(matrix);
  const docs = Array.from({ length: documents }, (_, i) => {
    const rows = Array.from({ length: docRows }, row);
    const topic = qRows[i % queries]!;
    const matched = Math.floor(queryRows * (next() + 0.5) ** 2);
    for (let m = 0; m < matched; m++) {
      const src = topic[Math.floor((next() + 0.5) * queryRows) % queryRows]!;
      const noise = row();
      const sigma = 0.3 + 0.9 * (next() + 0.5);
      rows[Math.floor((next() + 0.5) * docRows) % docRows] = unit(
        Float32Array.from(src, (x, j) => x + sigma * noise[j]!),
      );
    }
    return matrix(rows);
  });
  return { qs, docs };
}

/** memcpy bandwidth: the floor for reading packed documents once. */
function bandwidth(): number {
  const a = new Float32Array(64 << 20).fill(1);
  const b = new Float32Array(64 << 20);
  let best = Infinity;
  for (let r = 0; r < 4; r++) {
    const t0 = performance.now();
    b.set(a);
    best = Math.min(best, performance.now() - t0);
  }
  return (2 * a.byteLength) / (best / 1000) / 1e9;
}

/** fp32 GEMM rate through onnxruntime-node (MLAS): [4096, 512] x [512, 512]. */
async function gemmRate(threads: number): Promise<number | undefined> {
  let ort: typeof import('onnxruntime-node');
  try {
    ort = createRequire(import.meta.url)('onnxruntime-node') as typeof import('onnxruntime-node');
  } catch {
    return undefined;
  }
  const [M, K, N] = [4096, 512, 512];
  const g = new OnnxGraph('gemm', 13).input('a', 'float32', [M, K]).input('b', 'float32', [K, N]);
  g.node('MatMul', ['a', 'b'], {}, ['c']);
  const model = g.output('c', 'float32', [M, N]).toBytes();
  const session = await ort.InferenceSession.create(model, { intraOpNumThreads: threads, executionProviders: ['cpu'] });
  const feeds = {
    a: new ort.Tensor('float32', new Float32Array(M * K).fill(0.5), [M, K]),
    b: new ort.Tensor('float32', new Float32Array(K * N).fill(0.25), [K, N]),
  };
  let best = Infinity;
  for (let r = 0; r < 6; r++) {
    const t0 = performance.now();
    await session.run(feeds);
    best = Math.min(best, performance.now() - t0);
  }
  await session.release();
  return (2 * M * K * N) / (best / 1000) / 1e9;
}

/** Top-10 agreement with the float32 ranking, averaged over queries. */
function agreement(want: Float32Array[], got: Float32Array[]): number {
  let sum = 0;
  want.forEach((w, i) => {
    const a = new Set(topK(w, 10).map((r) => r.index));
    sum += topK(got[i]!, 10).filter((r) => a.has(r.index)).length / 10;
  });
  return sum / want.length;
}

/**
 * MaxSim paths on one corpus: each backend's engine scorer (GEMM), core's kernel on 1 and all
 * threads, int8 and binary; 1 query and 64 queries against every document; GFLOP/s and GB/s
 * against this machine's GEMM rate and memory bandwidth measured in the same run.
 */
export async function maxSimBench(options: {
  modelDir: string;
  backends: string[];
  threads: number;
  documents: number;
  repetitions: number;
  queries?: number;
}): Promise<MaxSimResult> {
  const [docRows, queryRows, dim] = [100, 32, 96];
  const queries = options.queries ?? 64;
  const notes: string[] = [];
  const { qs, docs } = corpus(options.documents, queries, docRows, queryRows, dim);
  const bandwidthGBps = bandwidth();
  const gemmGflops = await gemmRate(options.threads);
  const flop = 2 * options.documents * docRows * queryRows * dim;
  const paths: MaxSimPath[] = [];
  const scores = new Map<string, Float32Array[]>();

  const measure = async (
    path: string,
    scorer: DocumentScorer,
    bytes: number,
    query: (q: RowMatrix) => ScorerDocument,
  ) => {
    const q0 = query(qs[0]!);
    await scorer.score(q0);
    const ts: number[] = [];
    for (let r = 0; r < options.repetitions; r++) {
      const t0 = performance.now();
      await scorer.score(q0);
      ts.push(performance.now() - t0);
    }
    const oneMs = median(ts);
    const all = qs.map(query);
    const t0 = performance.now();
    const many = await scorer.scoreMany(all);
    const manyMs = performance.now() - t0;
    scores.set(path, many);
    paths.push({
      path,
      engine: scorer.engine,
      oneMs: round(oneMs, 1),
      manyMs: round(manyMs, 0),
      gflops: round(flop / (oneMs / 1000) / 1e9, 1),
      gbps: round(bytes / (oneMs / 1000) / 1e9, 2),
      ofGemm: gemmGflops ? round(flop / (oneMs / 1000) / 1e9 / gemmGflops, 3) : undefined,
      ofBandwidth: round(bytes / (oneMs / 1000) / 1e9 / bandwidthGBps, 3),
    });
  };
  const floatBytes = options.documents * docRows * dim * 4;

  for (const backend of options.backends) {
    let t: Tessera | undefined;
    try {
      t = await Tessera.create({ model: options.modelDir, backend, threads: options.threads });
      const s = await t.scorer(docs);
      if (s.usesEngine) await measure(`engine ${backend}`, s, floatBytes, (q) => q);
      else notes.push(`backend ${backend} (${t.engine}) offers no scorer; core's kernel scores for it`);
      await s.dispose();
    } catch (e) {
      notes.push(`engine scorer of ${backend} not measured: ${(e as Error).message}`);
    } finally {
      await t?.dispose();
    }
  }
  for (const threads of [...new Set([1, options.threads])]) {
    const s = await DocumentScorer.create(docs, { engine: 'core', threads });
    await measure(`core ${threads} thread${threads > 1 ? 's' : ''}`, s, floatBytes, (q) => q);
    await s.dispose();
  }
  const int8 = await DocumentScorer.create(
    docs.map((d) => quantizeInt8(d)),
    { threads: options.threads },
  );
  await measure('core int8', int8, options.documents * docRows * (dim + 4), (q) => quantizeInt8(q));
  await int8.dispose();
  const binary = await DocumentScorer.create(
    docs.map((d) => quantizeBinary(d)),
    { threads: options.threads },
  );
  await measure('core binary', binary, (options.documents * docRows * dim) / 8, (q) => quantizeBinary(q));
  await binary.dispose();

  const float = scores.get(`core ${options.threads} thread${options.threads > 1 ? 's' : ''}`)!;
  const engines = paths.filter((p) => p.path.startsWith('engine'));
  return {
    documents: options.documents,
    docRows,
    queryRows,
    dim,
    queries,
    gemmGflops: gemmGflops === undefined ? undefined : round(gemmGflops, 1),
    bandwidthGBps: round(bandwidthGBps, 2),
    paths,
    engineMs: engines.length ? Math.min(...engines.map((p) => p.oneMs)) : undefined,
    coreMs: paths.find((p) => p.path === `core ${options.threads} thread${options.threads > 1 ? 's' : ''}`)!.oneMs,
    int8Top10Agreement: round(agreement(float, scores.get('core int8')!), 3),
    binaryTop10Agreement: round(agreement(float, scores.get('core binary')!), 3),
    notes,
  };
}
