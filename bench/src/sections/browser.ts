import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { DocumentScorer, loadModelSpec, maxSimMany, Tessera, topK } from '@tessera/core';
import { exportOnnx } from '@tessera/backend-onnx';
import { build } from 'esbuild';
import send from 'send';
import { chromium, type Browser } from 'playwright-core';
import { maxSimData } from '../../page/rows.js';
import { median, round } from '../measure.js';

export interface BrowserRun {
  threads: number;
  engine: string;
  isolated: boolean;
  /** Tessera.create + the first document's embedding, in a fresh page (onnxruntime-web's start included). */
  firstEmbeddingMs: number;
  /** One text a forward (batch 1), warm: Tessera, bare onnxruntime-web on the same inputs, and their ratio. */
  tesseraDocsPerSec: number;
  bareDocsPerSec: number;
  ofBare: number;
  /** Tessera with its default batching (length-sorted batches). */
  batchedDocsPerSec: number;
  /** @tessera/backend-onnx in Node, batch 1, the same threads, and the page's share of it. */
  nodeDocsPerSec: number;
  ofNode: number;
}

export interface DtypeComparison {
  threads: number;
  graphMB: { fp32: number; q8: number };
  /** Tessera.create + the first embedding, each in a fresh page. */
  firstEmbeddingMs: { fp32: number; q8: number };
  /** Warm, one text a forward, rounds alternating in one page. */
  docsPerSec: { fp32: number; q8: number };
  q8OverFp32: number;
  /** Mean cosine of q8's document rows with fp32's, row by row. */
  rowCosine: number;
  /** Mean share of each query's top 10 texts by MaxSim that q8 and fp32 agree on. */
  top10Overlap: number;
}

export interface BrowserResults {
  model: string;
  texts: number;
  chromium: string;
  runs: BrowserRun[];
  /** Tessera in the page, 2 threads over 1 (warm). */
  threadScaling: number | undefined;
  maxsim: {
    documents: number;
    docRows: number;
    queryRows: number;
    dim: number;
    pageMs: number;
    nodeMs: number;
    nodeEngine: string;
  };
  /** The q8 graph (tessera export --dtype q8) against fp32 in the page, at the most threads measured. */
  q8?: DtypeComparison;
  /** What Tessera (core + backend-web + their JS dependencies) adds to an app, minified + gzip; onnxruntime-web's JS aside. */
  bundleKB: number;
  ortJsKB: number;
}

const CHROMIUM = process.env.TESSERA_CHROMIUM ?? '/usr/bin/chromium';
const PAGE_DIR = fileURLToPath(new URL('../../page/', import.meta.url));
const ORT_DIST = dirname(createRequire(import.meta.url).resolve('onnxruntime-web'));
const TYPES: Record<string, string> = {
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.wasm': 'application/wasm',
};

/** Loopback static server: the page bundle, onnxruntime-web's files, the model; cross-origin isolated. */
async function serve(mounts: Record<string, string>) {
  const server = createServer((req, res) => {
    const headers = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    if (path === '/') {
      res.writeHead(200, { ...headers, 'Content-Type': 'text/html' });
      res.end('<!doctype html><meta charset="utf-8"><script type="module" src="/bundle/browser-page.js"></script>');
      return;
    }
    const mount = Object.keys(mounts).find((m) => path.startsWith(m));
    const file = mount ? normalize(join(mounts[mount]!, path.slice(mount.length))) : '';
    if (!mount || !file.startsWith(normalize(mounts[mount]!)) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404, headers).end();
      return;
    }
    // send answers Range requests, as static hosts and the hub do (a Stanford folder's weights are read in ranges).
    send(req, encodeURI(file), { dotfiles: 'allow' })
      .on('headers', (r) => {
        for (const [k, v] of Object.entries(headers)) r.setHeader(k, v);
        r.setHeader('Content-Type', TYPES[extname(file)] ?? 'application/octet-stream');
      })
      .pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, close: () => server.close() };
}

/** A copy of the model folder with its q8 graph beside fp32's (tessera export --dtype q8). */
async function withQ8Graph(modelDir: string): Promise<string> {
  const copy = join(mkdtempSync(join(tmpdir(), 'tessera-bench-q8-')), 'model');
  cpSync(modelDir, copy, { recursive: true });
  await exportOnnx(copy, join(copy, 'onnx'), { dtype: 'q8', force: true });
  return copy;
}

/** How far q8's rows and rankings are from fp32's (see DtypeComparison). */
function agreement(
  fp32: { docs: number[][]; queries: number[][] },
  q8: { docs: number[][]; queries: number[][] },
  dim: number,
) {
  let cosines = 0;
  let rows = 0;
  fp32.docs.forEach((a, d) => {
    const b = q8.docs[d]!;
    for (let r = 0; r < a.length; r += dim) {
      let dot = 0;
      let na = 0;
      let nb = 0;
      for (let i = r; i < r + dim; i++) {
        dot += a[i]! * b[i]!;
        na += a[i]! ** 2;
        nb += b[i]! ** 2;
      }
      cosines += dot / Math.sqrt(na * nb);
      rows++;
    }
  });
  const matrix = (data: number[]) => ({ rows: data.length / dim, dim, data: Float32Array.from(data) });
  const top10 = (set: { docs: number[][]; queries: number[][] }, q: number) =>
    topK(maxSimMany(matrix(set.queries[q]!), set.docs.map(matrix)), 10).map((r) => r.index);
  let overlap = 0;
  for (let q = 0; q < fp32.queries.length; q++) {
    const a = new Set(top10(fp32, q));
    overlap += top10(q8, q).filter((i) => a.has(i)).length / 10;
  }
  return { rowCosine: round(cosines / rows, 5), top10Overlap: round(overlap / fp32.queries.length, 3) };
}

async function nodeDocsPerSec(model: string, texts: string[], threads: number, rounds: number): Promise<number> {
  const t = await Tessera.create({ model, backend: 'onnx', threads, batch: { maxBatchSize: 1 } });
  try {
    await t.encodeDocuments(texts);
    const ms: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const t0 = performance.now();
      await t.encodeDocuments(texts);
      ms.push(performance.now() - t0);
    }
    return (texts.length * 1000) / median(ms);
  } finally {
    await t.dispose();
  }
}

async function bundleSize(): Promise<number> {
  const out = await build({
    stdin: {
      contents: "import { Tessera } from '@tessera/core'; import '@tessera/backend-web'; globalThis.T = Tessera;",
      resolveDir: PAGE_DIR,
    },
    bundle: true,
    format: 'esm',
    platform: 'browser',
    minify: true,
    write: false,
    external: ['onnxruntime-web', 'onnxruntime-web/*'],
    logLevel: 'silent',
  });
  return out.outputFiles.reduce((n, f) => n + gzipSync(f.contents).length, 0);
}

/**
 * Tessera in headless Chromium (Debian's chromium, WebAssembly SIMD, cross-origin isolated)
 * against bare onnxruntime-web in the same page and @tessera/backend-onnx in Node, per thread
 * count; core's MaxSim kernel in the page against core in Node; the bundle Tessera adds.
 */
export async function browserBench(o: {
  modelDir: string;
  modelName: string;
  texts: string[];
  threads: number[];
  rounds: number;
  maxsimDocuments: number;
  /** Queries for the q8 comparison; none: no comparison. */
  queries?: string[];
}): Promise<BrowserResults> {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `${CHROMIUM} does not exist: the browser section drives Debian's chromium (apt-get install chromium)`,
    );
  const bundleDir = mkdtempSync(join(tmpdir(), 'tessera-bench-page-'));
  await build({
    entryPoints: [join(PAGE_DIR, 'browser-page.ts')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    splitting: true,
    minify: true,
    outdir: bundleDir,
    logLevel: 'silent',
  });
  // The page reads the model from a copy that also holds its q8 graph, when one is compared.
  const modelDir = o.queries?.length ? await withQ8Graph(o.modelDir) : o.modelDir;
  const server = await serve({ '/bundle/': bundleDir, '/ort/': ORT_DIST, '/model/': modelDir });
  const browser: Browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless=new', '--no-sandbox', '--disable-dev-shm-usage'],
  });
  try {
    // Calls in one fresh page (these run in the page, where globalThis is its window).
    const inPage = async <T extends unknown[]>(calls: Array<[string, ...unknown[]]>): Promise<T> => {
      const page = await browser.newPage();
      try {
        await page.goto(server.url);
        await page.waitForFunction(() => 'maxSimBench' in globalThis, null, { timeout: 60_000 });
        const out: unknown[] = [];
        for (const [fn, ...args] of calls)
          out.push(
            await page.evaluate(
              ([f, a]) =>
                (globalThis as never as Record<string, (...x: unknown[]) => unknown>)[f as string]!(
                  ...(a as unknown[]),
                ),
              [fn, args] as const,
            ),
          );
        return out as T;
      } finally {
        await page.close();
      }
    };
    const [docRows, queryRows, dim] = [100, 32, 96];
    let page: { ms: number; checksum: number } | undefined;
    const runs: BrowserRun[] = [];
    for (const threads of o.threads) {
      // A fresh page for each thread count: onnxruntime-web fixes it at its first session. The
      // first page also measures MaxSim (core's kernel runs on the calling thread whatever the count).
      const calls: Array<[string, ...unknown[]]> = [
        [
          'encodeBench',
          {
            model: `${server.url}/model`,
            graph: `${server.url}/model/onnx/model.onnx`,
            texts: o.texts,
            rounds: o.rounds,
            threads,
            wasmPaths: '/ort/',
          },
        ],
      ];
      if (!page) calls.push(['maxSimBench', o.maxsimDocuments, docRows, queryRows, dim, o.rounds * 5]);
      const [r, m] =
        await inPage<[Omit<BrowserRun, 'threads' | 'ofBare' | 'nodeDocsPerSec' | 'ofNode'>, typeof page]>(calls);
      page ??= m;
      const node = await nodeDocsPerSec(o.modelDir, o.texts, threads, o.rounds);
      runs.push({
        threads,
        ...r,
        firstEmbeddingMs: round(r.firstEmbeddingMs),
        tesseraDocsPerSec: round(r.tesseraDocsPerSec),
        bareDocsPerSec: round(r.bareDocsPerSec),
        batchedDocsPerSec: round(r.batchedDocsPerSec),
        ofBare: round(r.tesseraDocsPerSec / r.bareDocsPerSec, 3),
        nodeDocsPerSec: round(node),
        ofNode: round(r.tesseraDocsPerSec / node, 3),
      });
    }
    if (!page) throw new Error('the browser section needs at least one thread count');
    let q8: DtypeComparison | undefined;
    if (o.queries?.length) {
      const threads = Math.max(...o.threads);
      const req = {
        model: `${server.url}/model`,
        texts: o.texts,
        queries: o.queries,
        rounds: o.rounds,
        threads,
        wasmPaths: '/ort/',
      };
      const [fp32First] = await inPage<[number]>([['firstEmbedding', req, 'fp32']]);
      const [q8First] = await inPage<[number]>([['firstEmbedding', req, 'q8']]);
      type Rows = { docs: number[][]; queries: number[][]; docsPerSec: number };
      const [both] = await inPage<[{ fp32: Rows; q8: Rows }]>([['dtypeBench', req]]);
      const graphMB = (name: string) => round(statSync(join(modelDir, 'onnx', name)).size / 2 ** 20, 1);
      q8 = {
        threads,
        graphMB: { fp32: graphMB('model.onnx'), q8: graphMB('model_quantized.onnx') },
        firstEmbeddingMs: { fp32: round(fp32First), q8: round(q8First) },
        docsPerSec: { fp32: round(both.fp32.docsPerSec), q8: round(both.q8.docsPerSec) },
        q8OverFp32: round(both.q8.docsPerSec / both.fp32.docsPerSec, 3),
        ...agreement(both.fp32, both.q8, (await loadModelSpec(modelDir)).outputDim),
      };
    }
    const { docs, query } = maxSimData(o.maxsimDocuments, docRows, queryRows, dim);
    const scorer = await DocumentScorer.create(docs, {});
    const nodeMs: number[] = [];
    let checksum = 0;
    for (let r = 0; r < o.rounds * 5 + 1; r++) {
      const t0 = performance.now();
      checksum = (await scorer.score(query))[0]!;
      if (r > 0) nodeMs.push(performance.now() - t0);
    }
    const nodeEngine = scorer.engine;
    await scorer.dispose();
    if (Math.abs(checksum - page.checksum) > 1e-3)
      throw new Error(`MaxSim in the page (${page.checksum}) and in Node (${checksum}) disagree on the same rows`);
    const one = runs.find((r) => r.threads === 1);
    const two = runs.find((r) => r.threads === 2);
    return {
      model: o.modelName,
      texts: o.texts.length,
      chromium: browser.version(),
      runs,
      threadScaling: one && two ? round(two.tesseraDocsPerSec / one.tesseraDocsPerSec, 3) : undefined,
      maxsim: {
        documents: o.maxsimDocuments,
        docRows,
        queryRows,
        dim,
        pageMs: round(page.ms),
        nodeMs: round(median(nodeMs)),
        nodeEngine,
      },
      ...(q8 ? { q8 } : {}),
      bundleKB: round((await bundleSize()) / 1024, 1),
      ortJsKB: round(gzipSync(readFileSync(join(ORT_DIST, 'ort.bundle.min.mjs'))).length / 1024, 1),
    };
  } finally {
    await browser.close();
    server.close();
    // The model copy with the q8 graph (hundreds of MB) and the page bundle.
    if (modelDir !== o.modelDir) rmSync(dirname(modelDir), { recursive: true, force: true });
    rmSync(bundleDir, { recursive: true, force: true });
  }
}
