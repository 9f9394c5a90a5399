#!/usr/bin/env node
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Tessera, backendStatus } from '@tessera/core';
import { defaultBatchLimits } from '@tessera/core/backend';
import { median, round } from './measure.js';
import { benchModel, type BenchModel } from './models.js';
import { chart, markdown, type BenchResults } from './report.js';
import { BenchProgress } from './progress.js';
import { updateReadme } from './readme.js';
import { batchingEffects } from './sections/extras.js';
import { exportBench } from './sections/export.js';
import { measureCell, type Cell } from './sections/matrix.js';
import { maxSimBench, type MaxSimResult } from './sections/maxsim.js';
import { searchBench } from './sections/search.js';
import { browserBench } from './sections/browser.js';
import {
  bareOnnxRuntime,
  findPython,
  multiVectorEncoder,
  pytorchReference,
  transformersJs,
  type PeerResult,
} from './sections/peers.js';
import { indexingBench } from './sections/indexing.js';
import { queueBench } from './sections/queue.js';
import { servingBench } from './sections/serving.js';
import { corpus, stratified, workloads } from './workloads.js';

const SECTIONS = ['matrix', 'peers', 'export', 'maxsim', 'search', 'serving', 'indexing', 'queue', 'browser'];
/** Seconds per section of a full run on 2 cores, for the first estimate; later runs use the last run's. */
const DEFAULT_SECONDS: Record<string, number> = {
  matrix: 420,
  peers: 300,
  export: 240,
  maxsim: 150,
  search: 300,
  serving: 480,
  indexing: 720,
  queue: 180,
  browser: 620,
};

export async function main(argv = process.argv.slice(2)): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean' },
      models: { type: 'string' },
      backends: { type: 'string' },
      threads: { type: 'string' },
      out: { type: 'string' },
      repetitions: { type: 'string' },
      'no-peers': { type: 'boolean' },
      'search-docs': { type: 'string' },
      only: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(`Usage: pnpm bench [--quick] [--only ${SECTIONS.join(',')}]
         [--models tiny,small,base,ORG/NAME,DIR] [--backends onnx,native,tfjs] [--threads N] [--out DIR]

Runs the matrix (installed backends x devices x batch sizes 1/8/32/128 x workloads), the
peers (bare onnxruntime-node, transformers.js, the PyTorch reference when Python has torch),
batching effects, tessera export (fp32 and q8 against torch.onnx.export and quantize_dynamic), MaxSim scoring and serving (HTTP on loopback); writes
results/<date>-<machine>.json, .md and .svg. --only runs the sections named. --quick finishes in
under two minutes (tiny model, smaller workloads) for CI.
`);
    return 0;
  }
  const quick = !!values.quick;
  const only = values.only?.split(',');
  for (const o of only ?? [])
    if (!SECTIONS.includes(o)) throw new Error(`--only: unknown section "${o}" (sections: ${SECTIONS.join(', ')})`);
  const want = (section: string) => !only || only.includes(section);
  const threads = Number(values.threads ?? availableParallelism());
  const reps = Number(values.repetitions ?? (quick ? 1 : 3));
  const outDir = values.out ?? fileURLToPath(new URL('../results/', import.meta.url));
  const modelNames = (values.models ?? (quick ? 'tiny' : 'tiny,small')).split(',');
  const planned = SECTIONS.filter((x) => want(x) && !(x === 'peers' && values['no-peers']));
  const previous = quick ? undefined : previousSeconds(outDir);
  const progress = new BenchProgress(
    planned.map((name) => ({ name, estimate: quick ? 15 : (previous?.[name] ?? DEFAULT_SECONDS[name]!) })),
    (line) => process.stderr.write(`${line}\n`),
  );
  const log = (m: string) => progress.note(m);
  const status = await backendStatus();
  const usable = status.filter((b) => b.installed && b.devices?.some((d) => d.available));
  const backendNames = values.backends ? values.backends.split(',') : usable.map((b) => b.name);
  const notes: string[] = [];
  for (const b of status)
    if (!usable.includes(b))
      notes.push(`backend ${b.name} not measured: ${b.problem ?? b.devices?.map((d) => d.detail).join('; ')}`);
  const batchSizes = quick ? [1, 8] : [1, 8, 32, 128];
  const cells: Cell[] = [];
  const engines: Record<string, string> = {};
  const batching: Array<Record<string, unknown>> = [];
  const models: BenchModel[] = await Promise.all(modelNames.map(benchModel));
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  let defaults: BenchResults['defaults'];

  if (want('matrix')) progress.begin('matrix');
  for (const model of want('matrix') ? models : []) {
    for (const name of backendNames) {
      const devices = (usable.find((b) => b.name === name)?.devices ?? []).filter((d) => d.available).map((d) => d.id);
      for (const device of devices) {
        let t: Tessera;
        try {
          t = await Tessera.create({ model: model.dir, backend: name, device, strict: true, threads });
        } catch (e) {
          notes.push(`${name} on ${device} with ${model.name}: ${(e as Error).message}`);
          continue;
        }
        engines[name] = t.engine.split(';')[0]!;
        // Slow engines get a sample sized to about ten seconds a pass (every k-th text, so the length mix holds).
        const probe = stratified(
          corpus().map((p) => p.text),
          12,
        );
        const p0 = performance.now();
        await t.encodeDocuments(probe);
        const rate = probe.length / ((performance.now() - p0) / 1000);
        const limit = quick ? 16 : rate * 10 < 400 ? Math.max(24, Math.round(rate * 10)) : undefined;
        if (limit)
          notes.push(
            `${model.name} / ${name} / ${device}: measured on a length-stratified sample of ${limit} texts per workload (about ${rate.toFixed(1)} docs/s)`,
          );
        let failed = false;
        for (const w of workloads(limit)) {
          for (const batchSize of batchSizes) {
            try {
              const cell = await measureCell(t, model.name, w, {
                batchSize,
                sorted: true,
                repetitions: reps,
                budgetMs: quick ? 500 : 20_000,
              });
              cells.push(cell);
              log(`${model.name} ${name} ${device} ${w.name} b${batchSize}: ${cell.textsPerSec} texts/s`);
            } catch (e) {
              // A failed cell is reported, and the engine is not trusted for the rest of the run.
              notes.push(
                `${model.name} / ${name} / ${device} / ${w.name} / batch ${batchSize} failed: ${(e as Error).message}`,
              );
              failed = true;
              break;
            }
          }
          if (failed) break;
        }
        if (!failed && (!quick || model === models.at(-1))) {
          const mixed = workloads(limit).find((w) => w.name === 'mixed')!.texts;
          const b = await batchingEffects(t, mixed, 1);
          batching.push({ ...b, model: model.name, device, texts: mixed.length });
          log(`${model.name} ${name} batching: ${JSON.stringify(b)}`);
        }
        await t.dispose();
      }
    }
  }

  progress.end();
  // Peers measured on the largest model of the run, same file, same threads, same inputs.
  const peerModel = models.at(-1)!;
  let peers: BenchResults['peers'];
  const python = quick ? undefined : findPython();
  if (!values['no-peers'] && want('peers')) {
    progress.begin('peers');
    // Every peer and Tessera's own defaults see the same texts: a length-stratified half of the corpus.
    const mixed = stratified(
      corpus().map((p) => p.text),
      quick ? 16 : 200,
    );
    const results: PeerResult[] = [];
    const t = await Tessera.create({ model: peerModel.dir, backend: 'onnx', device: 'cpu', threads });
    const items = await t.prepare(mixed, 'document');
    await t.encodeDocuments(mixed.slice(0, 8));
    const rates: number[] = [];
    for (let r = 0; r < Math.max(1, reps - 1); r++) {
      const t0 = performance.now();
      await t.encodeDocuments(mixed);
      rates.push(mixed.length / ((performance.now() - t0) / 1000));
    }
    const lim = defaultBatchLimits('cpu');
    defaults = {
      backend: 'onnx',
      device: 'cpu',
      model: peerModel.name,
      docsPerSec: Math.round(median(rates) * 100) / 100,
      config: `batches of up to ${lim.maxBatchSize}, ${lim.maxTokens} tokens, length-sorted; ${mixed.length} passages`,
    };
    await t.dispose();
    results.push(
      ...(await bareOnnxRuntime(
        peerModel.dir,
        items,
        threads,
        quick ? [4, 32] : [1, 2, 4, 8, 16, 32],
        Math.max(1, reps - 1),
      )),
    );
    try {
      results.push(await transformersJs(peerModel.dir, mixed, threads, Math.max(1, reps - 1)));
    } catch (e) {
      notes.push(`transformers.js not measured: ${(e as Error).message}`);
    }
    if (python) {
      try {
        const corpusFile = join(outDir, '.peer-corpus.jsonl');
        mkdirSync(outDir, { recursive: true });
        writeFileSync(corpusFile, mixed.map((text) => JSON.stringify({ text })).join('\n'));
        try {
          results.push(pytorchReference(python, peerModel.dir, corpusFile, threads, Math.max(1, reps - 1)));
          // The same run, the same texts: the hand-written loop and what PyLate users run.
          const st = multiVectorEncoder(python, peerModel.dir, corpusFile, threads, Math.max(1, reps - 1));
          if (st) results.push(st);
          else
            notes.push(
              'sentence-transformers MultiVectorEncoder not measured: this Python has no sentence-transformers >= 6',
            );
        } finally {
          rmSync(corpusFile, { force: true });
        }
      } catch (e) {
        notes.push((e as Error).message);
      }
    } else if (!quick)
      notes.push(
        'PyTorch reference not measured: no Python with torch, transformers and safetensors (set TESSERA_BENCH_PYTHON)',
      );
    peers = { model: peerModel.name, results };
    for (const p of results) log(`peer ${p.peer} ${p.config}: ${p.docsPerSec} docs/s`);
    progress.end();
  }

  let exported: BenchResults['export'];
  if (want('export')) {
    progress.begin('export');
    // The two shapes the export targets name (answerai-colbert-small, colbertv2.0), or the tiny fixture when quick.
    const shapes = await Promise.all((quick ? ['tiny'] : ['small', 'base']).map(benchModel));
    const texts = stratified(
      corpus().map((p) => p.text),
      quick ? 16 : 160,
    );
    const queries = workloads()
      .find((w) => w.name === 'queries')!
      .texts.slice(0, quick ? 4 : 16);
    exported = await exportBench(shapes, { python, texts, queries, threads, rounds: quick ? 1 : reps }, notes);
    log(`export: ${JSON.stringify(exported)}`);
    progress.end();
  }

  let maxsim: MaxSimResult | undefined;
  if (want('maxsim')) {
    progress.begin('maxsim');
    maxsim = await maxSimBench({
      modelDir: peerModel.dir,
      backends: backendNames,
      threads,
      documents: quick ? 300 : 10_000,
      repetitions: quick ? 1 : 5,
      queries: quick ? 4 : 64,
    });
    for (const p of maxsim.paths)
      log(
        `maxsim ${p.path}: 1 x ${maxsim.documents} ${p.oneMs} ms, ${maxsim.queries} x ${maxsim.documents} ${p.manyMs} ms (${p.engine})`,
      );
    notes.push(...maxsim.notes);

    progress.end();
  }

  let serving: BenchResults['serving'];
  if (want('serving')) {
    progress.begin('serving');
    const texts = corpus().map((p) => p.text);
    serving = await servingBench(peerModel.dir, peerModel.name, {
      threads,
      seconds: quick ? 1 : 12,
      texts: quick ? texts.slice(0, 16) : texts,
      concurrencies: quick ? [1, 16] : [1, 4, 16, 64],
      quick,
    });
    log(`serving: ${JSON.stringify(serving)}`);

    progress.end();
  }

  let indexing: BenchResults['indexing'];
  if (want('indexing')) {
    progress.begin('indexing');
    const texts = corpus().map((p) => p.text);
    const words = texts.join(' ').split(/\s+/);
    const queries = Array.from({ length: quick ? 4 : 20 }, (_, i) =>
      words.slice(i * 211, i * 211 + 4 + (i % 6)).join(' '),
    );
    indexing = await indexingBench(peerModel.dir, peerModel.name, {
      threads,
      texts: quick ? texts.slice(0, 32) : texts,
      queries,
      documents: quick ? 500 : 10_000,
    });
    log(`indexing: ${JSON.stringify(indexing)}`);

    progress.end();
  }

  let search: BenchResults['search'];
  if (want('search')) {
    progress.begin('search');
    search = await searchBench({
      sizes: values['search-docs'] ? values['search-docs'].split(',').map(Number) : quick ? [300] : [10_000],
      dim: 96,
      queries: quick ? 5 : 50,
      threads,
      engineModel: models[0]!.dir,
      log,
    });
    progress.end();
  }

  let queue: BenchResults['queue'];
  if (want('queue')) {
    progress.begin('queue');
    const texts = corpus().map((p) => p.text);
    queue = await queueBench(peerModel.dir, peerModel.name, {
      threads,
      texts: quick ? texts.slice(0, 40) : texts,
      shardSize: quick ? 10 : 25,
      workers: quick ? [1, 2] : [1, 2, 3],
    });
    log(`queue: ${JSON.stringify(queue)}`);

    progress.end();
  }

  let browser: BenchResults['browser'];
  if (want('browser')) {
    progress.begin('browser');
    // The answerai-colbert-small shape (the tiny fixture when quick), one text a forward.
    const model = await benchModel(quick ? 'tiny' : 'small');
    browser = await browserBench({
      modelDir: model.dir,
      modelName: model.name,
      texts: stratified(
        corpus().map((p) => p.text),
        quick ? 8 : 64,
      ),
      // Quick: one page (the path works); full: 1 and 2 threads (the scaling target).
      threads: quick ? [Math.min(2, threads)] : [...new Set([1, Math.min(2, threads)])],
      rounds: quick ? 1 : 5,
      maxsimDocuments: quick ? 100 : 1000,
      // The q8 graph against fp32 (full runs): queries from the corpus's words.
      queries: quick
        ? []
        : Array.from({ length: 8 }, (_, i) => corpus()[i * 7]!.text.split(/\s+/).slice(0, 6).join(' ')),
    });
    log(`browser: ${JSON.stringify(browser)}`);
    progress.end();
  }

  const targets: BenchResults['targets'] = [];
  if (browser && !quick) {
    for (const r of browser.runs)
      targets.push({
        target: `Browser: Tessera >= 0.95x bare onnxruntime-web in the same page (${r.threads} thread${r.threads > 1 ? 's' : ''}, warm)`,
        measured: `${r.ofBare}x (${r.tesseraDocsPerSec} vs ${r.bareDocsPerSec} docs/s)`,
        met: r.ofBare >= 0.95,
        note: `${r.ofNode}x @tessera/backend-onnx in Node (${r.nodeDocsPerSec} docs/s)`,
      });
    targets.push({
      target: 'Browser: 2 threads >= 1.6x one thread, warm',
      measured: browser.threadScaling === undefined ? 'not measured (one core)' : `${browser.threadScaling}x`,
      met: browser.threadScaling === undefined ? undefined : browser.threadScaling >= 1.6,
      note: '',
    });
  }
  if (indexing && !quick) {
    targets.push({
      target: 'Indexing: t.index() into LanceDB >= 0.9x plain encodeDocuments (storage under 10%)',
      measured: `${indexing.ratio}x (${indexing.indexDocsPerSec} vs ${indexing.encodeDocsPerSec} docs/s)`,
      met: indexing.ratio >= 0.9,
      note: '',
    });
  }
  if (serving && !quick) {
    const s = serving;
    targets.push({
      target: 'Serving: docs/s at concurrency 64 >= 0.9x offline encodeDocuments',
      measured:
        `${s.ratioAt64}x (${s.levels.find((l) => l.concurrency === 64)?.docsPerSec} vs ` +
        `${s.levels.find((l) => l.concurrency === 64)?.offlineDocsPerSec} docs/s offline around it)`,
      met: s.ratioAt64 >= 0.9,
      note: '',
    });
    const under16 = s.levels
      .filter((l) => l.concurrency >= 16)
      .map((l) => l.ratio ?? round(l.docsPerSec / s.offlineDocsPerSec));
    targets.push({
      target: 'Serving: >= 0.9x offline at every concurrency >= 16',
      measured: under16.map((r) => `${r}x`).join(', '),
      met: under16.every((r) => r >= 0.9),
      note: '',
    });
    for (const p of s.pairedC1) {
      targets.push({
        target: `Serving: p50 at concurrency 1 <= the direct call + 2 ms (${p.format === 'float' ? 'JSON float' : 'base64'} rows, paired)`,
        measured: `+${p.diffP50Ms} ms, the median of served - direct per text (p50s: ${p.servedP50Ms} ms served, ${p.directP50Ms} ms direct)`,
        met: p.diffP50Ms <= 2,
        note:
          `of which ${p.floorP50Ms} ms is this machine's floor (a bare node:http server, same busy time ` +
          `and bytes); the server's own: ${round(p.diffP50Ms - p.floorP50Ms, 2)} ms`,
      });
    }
    targets.push({
      target: 'Serving: at 2x max-concurrent-requests, only 200s and 429s, no timeouts',
      measured: `${s.overload.ok} x 200, ${s.overload.tooMany} x 429, ${s.overload.other} other, ${s.overload.timeouts} timeouts, ${s.overload.errors} errors`,
      met: s.overload.other === 0 && s.overload.timeouts === 0 && s.overload.errors === 0 && s.overload.tooMany > 0,
      note: '',
    });
  }
  if (!quick && peers && defaults) {
    const bare = peers.results.filter((p) => p.peer.includes('bare') && p.config.includes('length-sorted'));
    const bestBare = bare.reduce((a, b) => (b.docsPerSec > a.docsPerSec ? b : a), bare[0]!);
    const tjs = peers.results.find((p) => p.peer === 'transformers.js');
    const pt = peers.results.find((p) => p.peer === 'PyTorch reference');
    const ratio = (p: PeerResult | undefined) => (p ? defaults!.docsPerSec / p.docsPerSec : undefined);
    const add = (target: string, r: number | undefined, goal: number, against: string) =>
      targets.push({
        target,
        measured: r === undefined ? 'not measured' : `${r.toFixed(2)}x ${against}`,
        met: r === undefined ? undefined : r >= goal,
        note: r !== undefined && r < goal ? `short by ${((1 - r / goal) * 100).toFixed(0)}%` : '',
      });
    add(
      'ONNX backend >= 0.9x the best bare onnxruntime-node configuration',
      ratio(bestBare),
      0.9,
      `(${bestBare?.config})`,
    );
    add('ONNX backend >= 3x transformers.js', ratio(tjs), 3, '');
    add('ONNX backend >= 2x the PyTorch reference', ratio(pt), 2, '');
  }
  if (exported && !quick) {
    const pass = (r: number | undefined, goal: number) => (r === undefined ? undefined : r >= goal);
    for (const x of exported.shapes) {
      const q8 = x.graphs.find((g) => g.maker.startsWith('tessera') && g.graph === 'q8')!;
      const peerQ8 = x.graphs.find((g) => g.maker.startsWith('quantize_dynamic'));
      targets.push(
        {
          target: `Export (${x.model}): Tessera's fp32 graph >= 0.98x torch.onnx.export's docs/s`,
          measured: x.ratios.fp32VsTorch === undefined ? 'not measured (no Python peer)' : `${x.ratios.fp32VsTorch}x`,
          met: pass(x.ratios.fp32VsTorch, 0.98),
          note: '',
        },
        {
          target: `Export (${x.model}): Tessera's q8 >= 1.0x quantize_dynamic's docs/s, agreement at least as close to fp32`,
          measured:
            x.ratios.q8VsQuantizeDynamic === undefined || !peerQ8
              ? 'not measured (no Python peer)'
              : `${x.ratios.q8VsQuantizeDynamic}x; row cosine ${q8.meanRowCosine} vs ${peerQ8.meanRowCosine}, ` +
                `top-10 ${q8.top10Overlap} vs ${peerQ8.top10Overlap}`,
          met:
            x.ratios.q8VsQuantizeDynamic === undefined || !peerQ8
              ? undefined
              : x.ratios.q8VsQuantizeDynamic >= 1 &&
                q8.meanRowCosine! >= peerQ8.meanRowCosine! &&
                q8.top10Overlap! >= peerQ8.top10Overlap!,
          note: '',
        },
        {
          target: `Export (${x.model}): q8 >= 1.4x fp32, row cosine >= 0.999, MaxSim top-10 overlap >= 0.98`,
          measured: `${x.ratios.q8VsFp32}x; row cosine ${q8.meanRowCosine}; top-10 ${q8.top10Overlap}`,
          met: x.ratios.q8VsFp32 >= 1.4 && q8.meanRowCosine! >= 0.999 && q8.top10Overlap! >= 0.98,
          note: '',
        },
      );
    }
    const base = exported.shapes.find((x) => x.model === 'base');
    if (base)
      targets.push({
        target: 'Export: the base shape (colbertv2.0) in < 10 s',
        measured: `${base.exportSeconds.fp32} s fp32, ${base.exportSeconds.q8} s q8`,
        met: base.exportSeconds.fp32 < 10 && base.exportSeconds.q8 < 10,
        note: '',
      });
  }
  if (search && !quick) {
    // The targets are read without pooling; the pooled rows are reported beside them.
    for (const x of search.scales.filter((s) => s.poolFactor === 1)) {
      const at = (path: 'index' | 'exact', k: number) => x.paths.find((p) => p.path === path && p.k === k)!;
      const speedup = at('exact', 10).p50Ms / at('index', 10).p50Ms;
      targets.push(
        {
          target: `Search (${x.documents} documents): recall@10 >= ${x.documents >= 100_000 ? 0.95 : 0.98} through the compressed index`,
          measured: `${at('index', 10).recall} (recall@100 ${at('index', 100).recall})`,
          met: at('index', 10).recall >= (x.documents >= 100_000 ? 0.95 : 0.98),
          note: '',
        },
        {
          target: `Search (${x.documents} documents): p50 <= 25 ms at k = 10, >= 100x the exact scan`,
          measured: `${at('index', 10).p50Ms} ms (exact ${at('exact', 10).p50Ms} ms, ${speedup.toFixed(1)}x)`,
          met: at('index', 10).p50Ms <= 25 && speedup >= 100,
          note: x.documents < 100_000 ? 'the target is set at 100k documents' : '',
        },
        {
          target: `Search (${x.documents} documents): index <= 40 bytes a token at the default nbits`,
          measured: `${x.bytesPerToken} bytes (nbits ${x.nbits}, dim ${x.dim})`,
          met: x.bytesPerToken <= 40,
          note: '',
        },
        {
          target: `Search (${x.documents} documents): build <= 1 s per 10k token rows`,
          measured: `${x.buildPer10kRows} s (${x.buildSeconds} s for ${x.rows} rows, ${x.centroids} centroids)`,
          met: x.buildPer10kRows <= 1,
          note: '',
        },
      );
    }
  }
  if (maxsim && !quick) {
    const m = maxsim;
    targets.push({
      target: 'MaxSim: 1 query x 10k documents (100 rows, dim 96) float32 in < 50 ms through an engine',
      measured: m.engineMs === undefined ? 'no engine scorer' : `${m.engineMs} ms`,
      met: m.engineMs === undefined ? undefined : m.engineMs < 50,
      note: '',
    });
    targets.push({
      target: "MaxSim: the same in < 150 ms with core's kernel on every thread",
      measured: `${m.coreMs} ms`,
      met: m.coreMs < 150,
      note: '',
    });
    targets.push({
      target: 'MaxSim: int8 top-10 agreement with float32 >= 0.95',
      measured: String(m.int8Top10Agreement),
      met: m.int8Top10Agreement >= 0.95,
      note: '',
    });
  }

  const date = new Date().toISOString().slice(0, 10);
  const results: BenchResults = {
    date,
    quick,
    machine: {
      cpu,
      cores: availableParallelism(),
      memoryGiB: Math.round(totalmem() / 2 ** 30),
      node: process.version,
      platform: `${process.platform}-${process.arch}`,
    },
    engines,
    threads,
    models: models.map((m) => ({ name: m.name, description: m.description })),
    cells,
    defaults,
    peers,
    batching,
    export: exported,
    maxsim,
    search,
    serving,
    indexing,
    queue,
    browser,
    targets,
    notes,
    sectionSeconds: progress.seconds,
  };
  progress.close();
  mkdirSync(outDir, { recursive: true });
  const machine = `${cpu
    .replace(/\(R\)|\(TM\)|CPU|@.*$/g, '')
    .trim()
    .replace(/[^A-Za-z0-9]+/g, '-')
    .toLowerCase()}-${availableParallelism()}c`;
  // A run of some sections is named after them, so it never replaces a full run's files.
  const base = join(outDir, `${date}-${machine}${quick ? '-quick' : ''}${only ? `-${only.join('-')}` : ''}`);
  writeFileSync(`${base}.json`, `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(`${base}.md`, markdown(results));
  writeFileSync(`${base}.svg`, chart(results));
  log(`wrote ${base}.json, .md and .svg`);
  if (!quick && !only && !values.out) updateReadme(results, `${date}-${machine}`);
  return 0;
}

/** Seconds per section in the newest full run in `dir`, for the progress estimate. */
function previousSeconds(dir: string): Record<string, number> | undefined {
  let files: string[];
  try {
    files = readdirSync(dir)
      .filter((f) => /^\d{4}-\d{2}-\d{2}-.*-\d+c\.json$/.test(f))
      .sort();
  } catch {
    return undefined;
  }
  for (const f of files.reverse()) {
    try {
      const r = JSON.parse(readFileSync(join(dir, f), 'utf8')) as Partial<BenchResults>;
      if (r.sectionSeconds) return r.sectionSeconds;
    } catch {
      // An unreadable results file gives no estimate.
    }
  }
  return undefined;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().then(
    (code) => (process.exitCode = code),
    (e) => {
      process.stderr.write(`bench: ${(e as Error).stack ?? e}\n`);
      process.exitCode = 1;
    },
  );
}
