import { gzipSync } from 'node:zlib';
import { cpSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { fixtureList } from '@tessera/fixtures';
import { build } from 'esbuild';
import type { Page } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { launchChromium } from './page/chromium.js';
import type { SuiteOutcome } from '@tessera/core/conformance/suite';
import { FIXTURES, ORT_DIST, bundle, servePage } from './page/serve.js';
import type { SuiteRequest } from './page/suite-page.js';

// The conformance suite inside headless Chromium: the page bundle is built as an app's bundler
// builds it (core's browser entry), served with or without cross-origin isolation, and the
// suite's outcomes come back to be reported here, one test each.
const page = await bundle(new URL('./page/suite-page.ts', import.meta.url).pathname);
// The fixtures without their ONNX graphs, served beside them: the page writes each graph from the weights.
const WEIGHTS_ONLY = mkdtempSync(join(tmpdir(), 'tessera-weights-only-'));
cpSync(FIXTURES, WEIGHTS_ONLY, { recursive: true, filter: (p) => !relative(FIXTURES, p).split(sep).includes('onnx') });
const browser = await launchChromium();
afterAll(() => browser.close());

async function openPage(isolated: boolean): Promise<{ page: Page; origin: string; close(): Promise<void> }> {
  const server = await servePage(page.dir, isolated, { '/weights-only/': WEIGHTS_ONLY });
  const p = await browser.newPage();
  const errors: string[] = [];
  p.on('pageerror', (e) => errors.push(e.message));
  // TESSERA_PAGE_LOG=1 prints each test as the page starts it (a page that hangs says where).
  if (process.env.TESSERA_PAGE_LOG) p.on('console', (m) => process.stderr.write(`page: ${m.text()}\n`));
  await p.goto(server.url);
  await p
    .waitForFunction(() => 'runSuite' in window, null, { timeout: 60_000 })
    .catch((e) => {
      throw new Error(`the test page did not start (${errors.join('; ') || (e as Error).message})`);
    });
  return {
    page: p,
    origin: server.url,
    close: async () => {
      await p.close();
      await server.close();
    },
  };
}

const fixturesAt = (origin: string, mount: string) =>
  fixtureList.map((f) => ({ ...f, dir: `${origin}/${mount}/${relative(FIXTURES, f.dir).split('\\').join('/')}` }));

async function suiteIn(
  isolated: boolean,
  request: Omit<SuiteRequest, 'fixtures' | 'wasmPaths'>,
  keep: (f: { name: string; variant?: boolean }) => boolean = () => true,
  mount = 'fixtures',
) {
  const started = performance.now();
  const p = await openPage(isolated);
  try {
    const fixtures = fixturesAt(p.origin, mount).filter(keep);
    const env = (device: string, fixture?: string) =>
      p.page.evaluate(([d, f, w]) => (window as never as Env).environment('/ort/', d, f, w), [
        device,
        fixture,
        !!request.worker,
      ] as const);
    // 'auto' here: it must not take the software WebGPU adapter.
    const environment = await env(request.device === 'wasm' ? 'auto' : request.device);
    const scoring = (await p.page.evaluate(() => (window as never as Env).parallelScoring())) as {
      started: number;
      diff: number;
      engine: string;
    };
    const search = (await p.page.evaluate(() => (window as never as Env).parallelSearch('/ort/'))) as {
      same: boolean;
      paths: string[];
      sent: number;
    };
    const modernbert = request.device === 'webgpu' ? await env('webgpu', 'colbert-modernbert') : undefined;
    const results = (await p.page.evaluate((r) => (window as never as Env).runSuite(r), {
      ...request,
      fixtures,
      wasmPaths: '/ort/',
    })) as SuiteOutcome[];
    console.log(
      `${request.device}${isolated ? '' : ', not isolated'}: ${((performance.now() - started) / 1000).toFixed(1)} s in all`,
    );
    return { environment, modernbert, scoring, search, results };
  } finally {
    await p.close();
  }
}
interface EnvInfo {
  isolated: boolean;
  cores: number;
  engine: string;
  device: string;
  warnings: string[];
}
interface Env {
  environment(wasmPaths: string, device?: string, fixture?: string, worker?: boolean): Promise<EnvInfo>;
  runSuite(r: SuiteRequest): Promise<SuiteOutcome[]>;
  parallelScoring(): Promise<unknown>;
  parallelSearch(wasmPaths: string): Promise<unknown>;
}

function report(results: SuiteOutcome[], least: number): void {
  it(`ran the suite in the page (at least ${least} tests)`, () => {
    expect(results.length).toBeGreaterThanOrEqual(least);
    console.log(`${results.length} tests in ${(results.reduce((n, r) => n + r.ms, 0) / 1000).toFixed(1)} s`);
    const slow = [...results].sort((a, b) => b.ms - a.ms).slice(0, 5);
    console.log(`slowest: ${slow.map((r) => `${r.ms.toFixed(0)} ms ${r.name}`).join('\n  ')}`);
  });
  for (const r of results)
    it(r.name, () => {
      if (r.error !== undefined) throw new Error(r.error);
    });
}

const wasm = await suiteIn(true, { device: 'wasm' });
describe('in Chromium, cross-origin isolated, WebAssembly (SIMD + threads)', () => {
  it('runs isolated on every core of the machine', () => {
    expect(wasm.environment.isolated).toBe(true);
    expect(wasm.environment.engine).toContain(`wasm, ${wasm.environment.cores} thread`);
    expect(wasm.environment.warnings).toEqual([]);
  });
  it('scores on Web Workers over shared memory (2 threads asked), as the reference MaxSim does', () => {
    expect(wasm.scoring.started).toBe(Math.min(2, wasm.environment.cores) - 1);
    expect(wasm.scoring.diff).toBeLessThan(1e-4);
  });
  it("searches the compressed index with its stages on Web Workers, as on the page's own thread", () => {
    expect(wasm.search.paths).toEqual(['index']);
    expect(wasm.search.same).toBe(true);
    // Each of the five threaded searches sends a worker its part of each stage.
    if (wasm.environment.cores > 1) expect(wasm.search.sent).toBeGreaterThanOrEqual(5 * 3);
    else expect(wasm.search.sent).toBe(0);
  });
  report(wasm.results, 150);
});

// Every main fixture served with its safetensors and no graph: fetchModelFiles asks for the
// weights whole, and the backend writes the encoder graph in the page (@tessera/onnx-graph).
const written = await suiteIn(true, { device: 'wasm', battery: false }, (f) => !f.variant, 'weights-only');
describe('in Chromium, folders served without an ONNX graph (written in the page from the safetensors)', () => {
  report(written.results, 40);
});

// Every fixture on WebGPU (ModernBERT is sent to WebAssembly by the backend, and says so): golden
// ids and masks, rows, MaxSim, batched against one at a time, the forward contract and the
// scorer; the main PyLate fixture with the battery too (order, long and empty inputs,
// concurrency, out-of-memory splitting). On the software adapter every new input shape compiles
// shaders on the CPU, so the others leave the battery out: it tests core's batching, which ran
// on every fixture on WebAssembly above.
const webgpu = await suiteIn(true, { device: 'webgpu', battery: false, batteryFixtures: ['pylate'] });
describe('in Chromium, WebGPU (the software adapter here: rows must match, timings mean nothing)', () => {
  it('runs a BERT-family model on WebGPU when asked for by name (a software adapter, which auto never takes)', () => {
    expect(webgpu.environment.device).toBe('webgpu');
    expect(webgpu.environment.engine).toMatch(/^onnxruntime-web [\d.]+ \(webgpu, /);
    expect(wasm.environment.device).toBe('cpu');
  });
  it('runs ModernBERT on WebAssembly instead, saying why', () => {
    expect(webgpu.modernbert?.device).toBe('cpu');
    expect(webgpu.modernbert?.warnings.join('\n')).toMatch(
      /WebGPU engine gives wrong rows for ModernBERT.*falling back to cpu/,
    );
  });
  report(webgpu.results, 100);
});

const gaps = await (async () => {
  const p = await openPage(true);
  try {
    const gap = (model: string, len: number) =>
      p.page.evaluate(
        ([m, l]) =>
          (window as never as { engineGap(m: string, l: number, w: string): Promise<number> }).engineGap(m, l, '/ort/'),
        [model, len] as const,
      );
    return {
      bert: await gap('/fixtures/colbert-pylate/onnx/model.onnx', 128),
      modernbert: await gap('/fixtures/colbert-modernbert/onnx/model.onnx', 64),
    };
  } finally {
    await p.close();
  }
})();
describe('onnxruntime-web itself, WebGPU against its WebAssembly engine (no Tessera)', () => {
  it('agrees on a BERT graph, so BERT-family models run on WebGPU', () => {
    expect(gaps.bert).toBeLessThan(1e-4);
  });
  it("still gets a ModernBERT graph wrong; when this fails, drop the web backend's ModernBERT refusal on WebGPU", () => {
    console.log(
      `WebGPU - WebAssembly, largest difference: BERT ${gaps.bert.toExponential(2)}, ModernBERT ${gaps.modernbert.toExponential(2)}`,
    );
    expect(gaps.modernbert).toBeGreaterThan(1e-2);
  });
});

const worker = await suiteIn(true, { device: 'wasm', worker: true }, (f) => f.name === 'pylate');
describe('in Chromium, encoding in a Web Worker (backendOptions: { worker: true })', () => {
  it('runs the engine in a worker, with threads', () => {
    expect(worker.environment.engine).toMatch(/\(wasm, \d+ threads?, in a worker, /);
    expect(worker.environment.warnings).toEqual([]);
  });
  it("indexes and searches after the engine took its graph to the worker (the model's files stay readable)", () => {
    expect(worker.search.paths).toEqual(['index']);
    expect(worker.search.same).toBe(true);
  });
  report(worker.results, 20);
});

const plain = await suiteIn(false, { device: 'wasm' }, (f) => f.name === 'pylate');
describe('in Chromium without cross-origin isolation', () => {
  it("scores on the page's own thread (no shared memory to give a worker), as the reference MaxSim does", () => {
    expect(plain.scoring.started).toBe(0);
    expect(plain.scoring.diff).toBeLessThan(1e-4);
  });
  it("searches the compressed index on the page's own thread, whatever the threads asked", () => {
    expect(plain.search.paths).toEqual(['index']);
    expect(plain.search.same).toBe(true);
    expect(plain.search.sent).toBe(0);
  });
  it('runs on one thread and says why', () => {
    expect(plain.environment.isolated).toBe(false);
    expect(plain.environment.engine).toContain('wasm, 1 thread,');
    expect(plain.environment.warnings.join('\n')).toMatch(
      /not cross-origin isolated.*Cross-Origin-Opener-Policy: same-origin.*Cross-Origin-Embedder-Policy: require-corp/,
    );
  });
  report(plain.results, 20);
});

describe('bundle size', () => {
  it('adds at most 150 KB (minified + gzip) to an app, onnxruntime-web aside', async () => {
    const out = await build({
      entryPoints: [new URL('./page/app-entry.ts', import.meta.url).pathname],
      bundle: true,
      format: 'esm',
      platform: 'browser',
      minify: true,
      write: false,
      external: ['onnxruntime-web', 'onnxruntime-web/*'],
      logLevel: 'silent',
    });
    const js = out.outputFiles.map((f) => f.contents);
    const gz = js.reduce((n, c) => n + gzipSync(c).length, 0);
    const ort = gzipSync(readFileSync(join(ORT_DIST, 'ort.bundle.min.mjs'))).length;
    console.log(
      `bundle: ${(gz / 1024).toFixed(1)} KB gzip of Tessera (core + backend-web + their JS dependencies); ` +
        `onnxruntime-web's own JS ${(ort / 1024).toFixed(1)} KB gzip`,
    );
    expect(gz).toBeLessThanOrEqual(150 * 1024);
  });
});
