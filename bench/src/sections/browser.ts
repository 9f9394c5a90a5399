import { createReadStream, existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { DocumentScorer, Tessera } from '@tessera/core';
import { build } from 'esbuild';
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
    res.writeHead(200, { ...headers, 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream' });
    createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, close: () => server.close() };
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
  const server = await serve({ '/bundle/': bundleDir, '/ort/': ORT_DIST, '/model/': o.modelDir });
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
      bundleKB: round((await bundleSize()) / 1024, 1),
      ortJsKB: round(gzipSync(readFileSync(join(ORT_DIST, 'ort.bundle.min.mjs'))).length / 1024, 1),
    };
  } finally {
    await browser.close();
    server.close();
  }
}
