import type { ExportResults } from './sections/export.js';
import type { MaxSimResult } from './sections/maxsim.js';
import type { BrowserResults } from './sections/browser.js';
import type { SearchResults } from './sections/search.js';
import type { Cell } from './sections/matrix.js';
import type { PeerResult } from './sections/peers.js';
import type { IndexingResults } from './sections/indexing.js';
import type { QueueResults } from './sections/queue.js';
import type { ServingResults } from './sections/serving.js';
import { round } from './measure.js';

export interface BenchResults {
  date: string;
  quick: boolean;
  machine: { cpu: string; cores: number; memoryGiB: number; node: string; platform: string };
  engines: Record<string, string>;
  threads: number;
  models: Array<{ name: string; description: string }>;
  cells: Cell[];
  defaults: { backend: string; device: string; model: string; docsPerSec: number; config: string } | undefined;
  peers: { model: string; results: PeerResult[] } | undefined;
  batching: Array<Record<string, unknown>>;
  /** Results files before the export section hold `quantized` (the Python-made int8 graph against fp32). */
  quantized?: Record<string, unknown> | undefined;
  export?: ExportResults | undefined;
  maxsim: MaxSimResult | undefined;
  search?: SearchResults | undefined;
  serving?: ServingResults | undefined;
  indexing?: IndexingResults | undefined;
  queue?: QueueResults | undefined;
  browser?: BrowserResults | undefined;
  targets: Array<{ target: string; measured: string; met: boolean | undefined; note: string }>;
  notes: string[];
  /** Wall-clock seconds each section took. */
  sectionSeconds?: Record<string, number>;
}

const fmt = (x: number) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));

export function markdown(r: BenchResults): string {
  const lines: string[] = [];
  lines.push(`# Benchmark results, ${r.date}${r.quick ? ' (quick mode: smoke check, not for comparison)' : ''}`, '');
  lines.push(
    `Machine: ${r.machine.cpu}, ${r.machine.cores} cores, ${r.machine.memoryGiB} GiB, Node ${r.machine.node}, ` +
      `${r.machine.platform}; ${r.threads} threads for every engine.`,
    '',
  );
  lines.push(
    `Engines: ${Object.entries(r.engines)
      .map(([k, v]) => `${k}: ${v}`)
      .join('; ')}.`,
    '',
  );
  lines.push('Models:', ...r.models.map((m) => `- \`${m.name}\`: ${m.description}`), '');
  if (r.targets.length) {
    lines.push('## Targets', '', '| target | measured | met |', '| --- | --- | --- |');
    for (const t of r.targets)
      lines.push(
        `| ${t.target} | ${t.measured}${t.note ? ` (${t.note})` : ''} | ${t.met === undefined ? 'n/a' : t.met ? 'yes' : '**no**'} |`,
      );
    lines.push('');
  }
  if (r.peers) {
    const ours = r.defaults?.docsPerSec;
    lines.push(`## Peers on the same model file (\`${r.peers.model}\`, mixed corpus, documents)`, '');
    lines.push(
      `Tessera: ` +
        (r.defaults
          ? `${r.defaults.backend} backend with its ${r.defaults.device} defaults (${r.defaults.config}): ` +
            `**${fmt(r.defaults.docsPerSec)} docs/s**`
          : 'n/a'),
      '',
    );
    lines.push('| peer | configuration | docs/s | Tessera ÷ peer |', '| --- | --- | --- | --- |');
    for (const p of r.peers.results)
      lines.push(
        `| ${p.peer} | ${p.config} | ${fmt(p.docsPerSec)} | ${ours ? (ours / p.docsPerSec).toFixed(2) + 'x' : ''} |`,
      );
    lines.push('');
  }
  if (r.batching.length) {
    lines.push(
      '## Batching (mixed corpus, documents, docs/s)',
      '',
      '| backend | model | one at a time | batch 32 sorted | batch 32 input order | best sorted | batched ÷ one at a time | sorted ÷ input order |',
      '| --- | --- | --- | --- | --- | --- | --- | --- |',
    );
    for (const b of r.batching) {
      const best = b.bestSorted as { batchSize: number; docsPerSec: number };
      lines.push(
        `| ${b.backend} | ${b.model} | ${fmt(b.oneAtATime as number)} | ${fmt(b.batch32Sorted as number)} | ` +
          `${fmt(b.batch32InputOrder as number)} | ${fmt(best.docsPerSec)} (batch ${best.batchSize}) | ` +
          `${b.batchedSpeedup}x | ${b.sortedVsInputOrder}x |`,
      );
    }
    lines.push('');
  }
  if (r.quantized) {
    const q = r.quantized;
    lines.push(
      '## Quantized ONNX graph (dynamic int8) vs fp32',
      '',
      `${q.model}: fp32 ${q.fp32DocsPerSec} docs/s, int8 ${q.q8DocsPerSec} docs/s (**${q.speedup}x**); mean ` +
        `cosine of rows ${q.meanRowCosine}; MaxSim top-10 overlap ${q.top10Overlap}.`,
      '',
    );
  }
  if (r.export) {
    lines.push(
      '## tessera export: ONNX graphs from safetensors, fp32 and q8',
      '',
      `Docs/s of each graph through the same ONNX backend path (${r.export.texts} passages, length-sorted batches, ` +
        `alternating rounds); agreement against Tessera's fp32 graph (mean and smallest row cosine, MaxSim top-10 ` +
        `overlap over ${r.export.queries} queries).`,
      '',
    );
    for (const x of r.export.shapes) {
      lines.push(
        `### ${x.model}`,
        '',
        `Export: fp32 ${x.exportSeconds.fp32} s, q8 ${x.exportSeconds.q8} s` +
          (x.peerSeconds
            ? ` (torch.onnx.export ${x.peerSeconds.torchExport} s, quantize_dynamic ${x.peerSeconds.quantizeDynamic} s).`
            : '.'),
        '',
        '| graph | made by | docs/s | mean row cosine | min row cosine | top-10 overlap |',
        '|---|---|---:|---:|---:|---:|',
        ...x.graphs.map(
          (g) =>
            `| ${g.graph} | ${g.maker} | ${fmt(g.docsPerSec)} | ${g.meanRowCosine ?? '-'} | ${g.minRowCosine ?? '-'} | ${g.top10Overlap ?? '-'} |`,
        ),
        '',
      );
    }
  }
  if (r.search) {
    lines.push(
      '## Search: the compressed index against the exact scan',
      '',
      `${r.search.corpus}; ${r.search.queries} queries; the index built through the engine's GEMM; latency is the ` +
        'search alone (the query rows given), recall against exact MaxSim. Path "index": the stages split over ' +
        'the cores (the default); "index, 1 thread": the same search on the calling thread. Path "codes": the same index in a ' +
        'compressed-only store (`--no-vectors`: no float rows, the best candidates rescored from decoded rows), ' +
        `keeping ${r.search.scales
          .filter((x) => x.codesBytesPerToken)
          .map((x) => `${x.codesBytesPerToken} bytes a token at ${x.documents} documents`)
          .join(', ')} (codes per document and the index).`,
      '',
      '| documents | pooling | index rows | centroids | bytes/row | build s (per 10k rows) | RSS MiB | path | k | p50 ms | p95 ms | recall |',
      '|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|',
      ...r.search.scales.flatMap((x) =>
        x.paths.map(
          (p) =>
            `| ${x.documents} | ${x.poolFactor ?? 1} | ${x.rows} | ${x.centroids} | ${x.bytesPerToken} | ${x.buildSeconds} (${x.buildPer10kRows}) | ` +
            `${x.rssMiB} | ${p.path} | ${p.k} | ${p.p50Ms} | ${p.p95Ms} | ${p.recall} |`,
        ),
      ),
      '',
    );
  }
  if (r.maxsim) {
    const m = r.maxsim;
    lines.push(
      '## MaxSim scoring',
      '',
      `${m.queries} queries of ${m.queryRows} rows against ${m.documents} documents of ${m.docRows} rows, dim ` +
        `${m.dim} (ColBERT-shaped: anisotropic unit rows; each document holds noisy copies of some of one ` +
        `query's rows). This machine, same run: fp32 GEMM ${m.gemmGflops ?? 'not measured'} GFLOP/s ` +
        `(onnxruntime-node MatMul 4096x512x512), memcpy ${m.bandwidthGBps} GB/s.`,
      '',
      `| path | engine | 1 x ${m.documents} ms | ${m.queries} x ${m.documents} ms | GFLOP/s | ÷ GEMM | GB/s read | ÷ bandwidth |`,
      '| --- | --- | --- | --- | --- | --- | --- | --- |',
      ...m.paths.map(
        (p) =>
          `| ${p.path} | ${p.engine} | ${p.oneMs} | ${p.manyMs} | ${p.gflops} | ${p.ofGemm ?? '-'} | ${p.gbps} | ${p.ofBandwidth} |`,
      ),
      '',
      `Top-10 agreement with float32 over the ${m.queries} queries: int8 ${m.int8Top10Agreement}, binary ${m.binaryTop10Agreement}.`,
      '',
    );
  }
  if (r.browser) {
    const b = r.browser;
    lines.push(
      '## In the browser (headless Chromium, WebAssembly SIMD, cross-origin isolated)',
      '',
      `Model \`${b.model}\`, ${b.texts} documents one at a time (batch 1), warm, ${b.chromium}. Bare onnxruntime-web runs ` +
        "the same graph on Tessera's token inputs in the same page and engine; Node is @tessera/backend-onnx with the same threads.",
      '',
      '| threads | engine | Tessera docs/s | bare onnxruntime-web docs/s | ÷ bare | batched docs/s | Node docs/s | ÷ Node | first embedding ms |',
      '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
      ...b.runs.map(
        (x) =>
          `| ${x.threads} | ${x.engine} | ${x.tesseraDocsPerSec} | ${x.bareDocsPerSec} | ${x.ofBare} | ` +
          `${x.batchedDocsPerSec} | ${x.nodeDocsPerSec} | ${x.ofNode} | ${x.firstEmbeddingMs} |`,
      ),
      '',
      `2 threads over 1: ${b.threadScaling ?? 'not measured'}x. MaxSim 1 x ${b.maxsim.documents} (${b.maxsim.queryRows} query rows, ` +
        `${b.maxsim.docRows} rows a document, dim ${b.maxsim.dim}): ${b.maxsim.pageMs} ms in the page ` +
        "(core's kernel; on Web Workers when the page is isolated, as here), " +
        `${b.maxsim.nodeMs} ms in Node (${b.maxsim.nodeEngine}). Bundle: ${b.bundleKB} KB minified + gzip of Tessera ` +
        `(core + backend-web + their JS dependencies); onnxruntime-web's own JS ${b.ortJsKB} KB, its .wasm aside.`,
      '',
    );
    if (b.q8) {
      const q = b.q8;
      lines.push(
        `q8 (\`tessera export --dtype q8\`) against fp32 in the page, ${q.threads} threads: graph ${q.graphMB.q8} MB against ` +
          `${q.graphMB.fp32} MB; first embedding ${q.firstEmbeddingMs.q8} ms against ${q.firstEmbeddingMs.fp32} ms (fresh pages); ` +
          `${q.docsPerSec.q8} docs/s against ${q.docsPerSec.fp32} (${q.q8OverFp32}x, rounds alternating in one page); ` +
          `q8's rows against fp32's: mean cosine ${q.rowCosine}, top-10 overlap of the queries' MaxSim rankings ${q.top10Overlap}.`,
        '',
      );
    }
  }
  if (r.serving) {
    const s = r.serving;
    lines.push(
      `## Serving (\`tessera serve\` routes on loopback, autocannon, one document a request to /v1/multi-vector)`,
      '',
      `${s.model} on ${s.backend}, the server in its own process; ${s.texts} passages; the model's batch ` +
        `budget ${s.maxBatchTokens} ` +
        `tokens${s.maxPaddingShare !== undefined ? `, at most ${s.maxPaddingShare * 100}% padding` : ''}; ` +
        `rows as JSON floats unless said. Offline \`encodeDocuments\` of the texts the levels send, run ` +
        `before the first level and after each (the model loaded in the bench process, idle while a server ` +
        `runs): ${s.offlineRuns.map(fmt).join(', ')} docs/s (mean **${fmt(s.offlineDocsPerSec)}**); each ` +
        `level's ratio is against the runs just before and after it (other rows: against the mean). A direct ` +
        `one-text call: p50 ${s.directP50Ms} ms.`,
      '',
      '| concurrency | docs/s | ÷ offline | p50 ms | p95 ms | p99 ms | mean batch (texts) | mean batch fill | non-2xx |',
      '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
      ...[
        ...s.levels.map((l) => [String(l.concurrency), l] as const),
        ['1, base64 rows', s.base64AtC1] as const,
        ...(s.base64At16 ? [['16, base64 rows', s.base64At16] as const] : []),
        ...(s.teiBudgetAt16
          ? [['16, TEI budget (16384 tokens, 64 texts, padding uncapped)', s.teiBudgetAt16] as const]
          : []),
      ].map(
        ([c, l]) =>
          `| ${c} | ${fmt(l.docsPerSec)} | ${(l.ratio ?? l.docsPerSec / s.offlineDocsPerSec).toFixed(2)}x | ` +
          `${l.p50Ms} | ${l.p95Ms} | ${l.p99Ms} | ${l.meanBatchSize} | ${l.meanBatchFill} | ${l.non2xx} |`,
      ),
      '',
      `Concurrency 1 against the direct call, paired (blocks of 10 direct calls and 10 requests for the same ` +
        `texts alternate, both models loaded, one busy at a time; a keep-alive client that reads the whole ` +
        `body): ` +
        `${s.pairedC1
          .map(
            (p) =>
              `${p.format} rows: served p50 ${p.servedP50Ms} ms, direct ${p.directP50Ms} ms, ` +
              `median of the per-text difference **${p.diffP50Ms} ms** (${p.requests} pairs)`,
          )
          .join('; ')}.`,
      '',
      `The floor under those differences, measured in the same rounds: a bare node:http server in its own ` +
        `process (no framework, no model), kept busy for each text's direct-call time and then answering as ` +
        `many bytes as the server did, costs the client ` +
        `${s.pairedC1.map((p) => `${p.floorP50Ms} ms (${p.format} bytes)`).join(' and ')} beyond the busy ` +
        `time: loopback plus waking a client that waited. What is left is the server's own: ` +
        `${s.pairedC1.map((p) => `${p.format} ${round(p.diffP50Ms - p.floorP50Ms, 2)} ms`).join(', ')}.`,
      '',
      `Wait window for stragglers at concurrency 16: ${s.waitWindow.map((w) => `${w.waitMs} ms → ${fmt(w.docsPerSec)} docs/s, p50 ${w.p50Ms} ms`).join('; ')}.`,
      '',
      `At ${s.overload.connections} connections against max-concurrent-requests ${s.overload.limit}: ` +
        `${s.overload.ok} answered, ${s.overload.tooMany} refused with 429, ${s.overload.other} other ` +
        `statuses, ${s.overload.timeouts} timeouts, ${s.overload.errors} connection errors.`,
      '',
    );
  }
  if (r.indexing) {
    const x = r.indexing;
    lines.push(
      '## Indexing and search (LanceDB)',
      '',
      `${x.model}, ${x.texts} passages: plain \`encodeDocuments\` **${fmt(x.encodeDocsPerSec)} docs/s**, ` +
        `\`t.index()\` into a new LanceDB folder **${fmt(x.indexDocsPerSec)} docs/s** (${x.ratio}x; ` +
        `${(x.indexBytes / 1e6).toFixed(1)} MB on disk).`,
      '',
      `Search: ${x.search.documents} documents (${x.search.tokenRows} token rows, grown from the encoded ` +
        `passages with noise), ${x.search.queries} encoded queries, top 10; the IVF-PQ index took ` +
        `${x.search.buildAnnSeconds} s to build` +
        (x.search.buildPlaidSeconds !== undefined
          ? `, Tessera's compressed index ${x.search.buildPlaidSeconds} s (on the same store).`
          : '.'),
      '',
      '| method | p50 ms | p95 ms | recall@10 vs exact MaxSim |',
      '| --- | --- | --- | --- |',
      ...x.search.rows.map((s) => `| ${s.method} | ${s.p50Ms} | ${s.p95Ms} | ${s.recallAt10} |`),
      '',
    );
  }
  if (r.queue) {
    const q = r.queue;
    lines.push(
      '## Queued indexing (BullMQ on a local Redis, CPU workers on this machine)',
      '',
      `${q.model}, ${q.texts} passages in shards of ${q.shardSize}; single-process \`t.index()\`: **${fmt(q.singleDocsPerSec)} docs/s**.`,
      '',
      '| workers | threads each | docs/s | ÷ single process | overhead per shard (ms: read, parse, write, queue) | pickup gap (ms) |',
      '| --- | --- | --- | --- | --- | --- |',
      ...q.rows.map(
        (x) =>
          `| ${x.workers} | ${x.threadsEach} | ${fmt(x.docsPerSec)} | ${x.ratio}x | ${x.overheadMsPerShard} | ${x.pickupMs} |`,
      ),
      '',
    );
  }
  lines.push(
    '## Matrix',
    '',
    '| model | backend | device | workload | batch | texts/s | tokens/s | batch ms p50 / p95 | peak RSS MiB | padding |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  );
  for (const c of r.cells)
    lines.push(
      `| ${c.model} | ${c.backend} | ${c.device} | ${c.workload} (${c.role}) | ${c.batchSize} | ` +
        `${fmt(c.textsPerSec)} | ${c.tokensPerSec} | ${c.batchMsP50} / ${c.batchMsP95} | ${c.peakRssMiB} | ` +
        `${(c.paddingShare * 100).toFixed(0)}% |`,
    );
  lines.push('');
  if (r.notes.length) lines.push('## Notes', '', ...r.notes.map((n) => `- ${n}`), '');
  return lines.join('\n');
}

/** A grouped bar chart of documents per second on the mixed corpus, with the peers. */
export function chart(r: BenchResults): string {
  const model = r.peers?.model ?? r.cells.at(-1)?.model;
  const bars: Array<{ label: string; value: number; group: string }> = [];
  for (const c of r.cells.filter((c) => c.model === model && c.workload === 'mixed'))
    bars.push({ label: `${c.backend} ${c.device} b${c.batchSize}`, value: c.textsPerSec, group: c.backend });
  for (const p of r.peers?.results ?? [])
    bars.push({
      label: `${p.peer.replace(' (bare)', '')} ${p.config.split(',')[0]}${p.config.includes('input order') ? ' unsorted' : ''}`,
      value: p.docsPerSec,
      group: 'peer',
    });
  const colors: Record<string, string> = { onnx: '#2b6cb0', native: '#c05621', tfjs: '#2f855a', peer: '#718096' };
  const w = 760;
  const rowH = 20;
  const left = 260;
  const top = 50;
  const max = Math.max(1, ...bars.map((b) => b.value));
  const h = top + bars.length * rowH + 40;
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" font-family="sans-serif" font-size="12">`,
    `<rect width="${w}" height="${h}" fill="white"/>`,
  ];
  out.push(
    `<text x="10" y="22" font-size="15" font-weight="bold">Documents per second, mixed corpus ` +
      `(${esc(model ?? '')}), ${esc(r.machine.cpu)}, ${r.threads} threads</text>`,
  );
  out.push(`<text x="10" y="40" fill="#555">${esc(r.date)}; bN = batch size; peers run the same model file</text>`);
  bars.forEach((b, i) => {
    const y = top + i * rowH;
    const bw = ((w - left - 70) * b.value) / max;
    out.push(`<text x="${left - 8}" y="${y + 14}" text-anchor="end">${esc(b.label)}</text>`);
    out.push(
      `<rect x="${left}" y="${y + 3}" width="${bw.toFixed(1)}" height="${rowH - 6}" fill="${colors[b.group] ?? '#4a5568'}"/>`,
    );
    out.push(`<text x="${left + bw + 5}" y="${y + 14}">${fmt(b.value)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n');
}
