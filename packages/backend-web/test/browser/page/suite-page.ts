// The page that runs Tessera's conformance suite on @tessera/backend-web inside the browser. The
// test bundles it for the browser (core's "browser" entry and file swaps), serves it with the
// fixtures, and calls window.runSuite.
import { DocumentScorer, MemoryStore, Tessera, maxSimMany, type TokenEmbeddings } from '@tessera/core';
import {
  collectOutcomes,
  defineConformanceSuite,
  provideFixtureFiles,
  type ConformanceFixture,
  type SuiteOutcome,
  type TestHarness,
} from '@tessera/core/conformance/suite';
import { backend } from '@tessera/backend-web';
import { engineGap } from './engine-check.js';

export interface SuiteRequest {
  fixtures: ConformanceFixture[];
  device: string;
  threads?: number;
  wasmPaths: string;
  goldenTolerance?: number;
  battery?: boolean;
  /** Fixtures that run with the battery whatever `battery` says. */
  batteryFixtures?: string[];
  /** Encode in a Web Worker (backendOptions.worker). */
  worker?: boolean;
}

async function goldens(fixtures: ConformanceFixture[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  await Promise.all(
    fixtures.flatMap((f) =>
      ['golden.json', 'forward.json'].map(async (name) => {
        const res = await fetch(`${f.dir}/${name}`);
        if (res.ok) out[`${f.dir}/${name}`] = await res.text();
      }),
    ),
  );
  return out;
}

async function runSuite(request: SuiteRequest): Promise<SuiteOutcome[]> {
  provideFixtureFiles(await goldens(request.fixtures));
  const withBattery = new Set(request.batteryFixtures ?? []);
  const define = (harness: TestHarness, fixtures: ConformanceFixture[], battery: boolean | undefined) => {
    if (!fixtures.length) return;
    defineConformanceSuite(harness, {
      backend,
      fixtures,
      device: request.device,
      goldenTolerance: request.goldenTolerance,
      battery,
      createOptions: {
        threads: request.threads,
        backendOptions: { wasmPaths: request.wasmPaths, worker: request.worker },
      },
    });
  };
  return collectOutcomes(
    (harness) => {
      define(
        harness,
        request.fixtures.filter((f) => withBattery.has(f.name)),
        true,
      );
      define(
        harness,
        request.fixtures.filter((f) => !withBattery.has(f.name)),
        request.battery,
      );
    },
    // The test prints these with TESSERA_PAGE_LOG=1: a page that hangs says where.
    (name) => console.debug(`tessera-test: start ${name}`),
  );
}

/** What the page runs on, as the test asserts it. */
async function environment(wasmPaths: string, device = 'auto', fixture = 'colbert-pylate', worker = false) {
  const warnings: string[] = [];
  const t = await Tessera.create({
    model: `${location.origin}/fixtures/${fixture}`,
    backend: 'web',
    device,
    backendOptions: { wasmPaths, worker },
    onWarning: (m) => warnings.push(m),
  });
  const info = {
    isolated: crossOriginIsolated,
    cores: navigator.hardwareConcurrency,
    engine: t.engine,
    device: t.device,
    warnings,
  };
  await t.dispose();
  return info;
}

/**
 * Core's scorer in the page on 2 threads, against the reference MaxSim: the number of Web
 * Workers it started (counted by wrapping the page's Worker) and the largest score difference.
 */
async function parallelScoring() {
  let started = 0;
  const PageWorker = window.Worker;
  window.Worker = class extends PageWorker {
    constructor(...args: ConstructorParameters<typeof Worker>) {
      super(...args);
      started++;
    }
  };
  let seed = 5;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648 - 0.5;
  const matrix = (rows: number, dim: number) => ({ rows, dim, data: Float32Array.from({ length: rows * dim }, next) });
  const docs: TokenEmbeddings[] = Array.from({ length: 400 }, (_, i) => ({
    ...matrix(40 + (i % 41), 64),
    index: i,
    tokenIds: new Int32Array(40 + (i % 41)),
    tokens: 40 + (i % 41),
    truncated: false,
  }));
  const query = matrix(32, 64);
  const scorer = await DocumentScorer.create(docs, { threads: 2 });
  try {
    const got = await scorer.score(query);
    const want = maxSimMany(query, docs);
    let diff = 0;
    for (let i = 0; i < want.length; i++) diff = Math.max(diff, Math.abs(got[i]! - want[i]!));
    return { started, diff, engine: scorer.engine };
  } finally {
    await scorer.dispose();
    window.Worker = PageWorker;
  }
}

/**
 * The compressed index's search in the page: 400 seeded texts indexed with the fixture model,
 * the compressed index built, and queries searched with the stages on one thread and on
 * two. Returns whether the answers agree, their path, and how many stage calls went to a worker
 * (counted by wrapping the page's Worker.postMessage; none where the page is not isolated).
 */
async function parallelSearch(wasmPaths: string) {
  let sent = 0;
  const post = Worker.prototype.postMessage;
  Worker.prototype.postMessage = function (this: Worker, message: unknown, ...rest: never[]) {
    if ((message as { module?: string } | null)?.module === 'plaid') sent++;
    return post.call(this, message, ...rest);
  };
  const t = await Tessera.create({
    model: `${location.origin}/fixtures/colbert-pylate`,
    backend: 'web',
    backendOptions: { wasmPaths },
  });
  try {
    let seed = 11;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    const words = 'late interaction index search page token vector centroid cat mat zebra river stone light'.split(' ');
    const text = (n: number) => Array.from({ length: n }, () => words[Math.floor(next() * words.length)]).join(' ');
    const store = new MemoryStore();
    await t.index(
      store,
      Array.from({ length: 400 }, (_, i) => ({ id: `d${i}`, text: text(3 + (i % 17)) })),
    );
    await t.buildSearchIndex(store, { centroids: 64 });
    const queries = [
      'a cat on the mat',
      'late interaction retrieval',
      'the index in a page',
      'one more query',
      'zebra',
    ];
    // Small ndocs: every stage runs on a corpus this size.
    const options = { topK: 10, knobs: { ndocs: 64, ncells: 2, rescore: 0 } };
    let same = true;
    const paths = new Set<string>();
    for (const q of queries) {
      const one = await t.searchReport(store, q, { ...options, threads: 1 });
      const two = await t.searchReport(store, q, { ...options, threads: 2 });
      paths.add(one.path).add(two.path);
      same &&= one.results.length === 10 && JSON.stringify(one.results) === JSON.stringify(two.results);
    }
    return { same, paths: [...paths], sent };
  } finally {
    Worker.prototype.postMessage = post;
    await t.dispose();
  }
}

Object.assign(window, {
  parallelSearch,
  parallelScoring,
  runSuite,
  environment,
  engineGap,
  Tessera,
});
