import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { maxSimMany, Tessera, topK, type TokenEmbeddings } from '@tessera/core';
import { exportOnnx } from '@tessera/backend-onnx';
import { median, round } from '../measure.js';
import { peerEnv } from './peers.js';

/** One graph of the comparison: who made it, and its speed through the ONNX backend. */
export interface ExportedGraph {
  graph: string;
  maker: string;
  docsPerSec: number;
  /** Against Tessera's fp32 export: mean and smallest cosine of the rows, MaxSim top-10 overlap. */
  meanRowCosine?: number;
  minRowCosine?: number;
  top10Overlap?: number;
}

export interface ExportShapeResult {
  model: string;
  exportSeconds: { fp32: number; q8: number };
  peerSeconds?: { torchExport: number; quantizeDynamic: number };
  graphs: ExportedGraph[];
  /** Tessera fp32 / torch.onnx.export, Tessera q8 / quantize_dynamic, Tessera q8 / Tessera fp32 (docs/s). */
  ratios: { fp32VsTorch?: number; q8VsQuantizeDynamic?: number; q8VsFp32: number };
}

export interface ExportResults {
  texts: number;
  queries: number;
  peers: string | undefined;
  shapes: ExportShapeResult[];
}

function agreement(
  base: TokenEmbeddings[],
  other: TokenEmbeddings[],
  baseQ: TokenEmbeddings[],
  otherQ: TokenEmbeddings[],
) {
  let sum = 0;
  let min = 1;
  let rows = 0;
  base.forEach((x, i) => {
    const y = other[i]!;
    for (let r = 0; r < x.rows; r++) {
      let d = 0;
      for (let k = 0; k < x.dim; k++) d += x.data[r * x.dim + k]! * y.data[r * x.dim + k]!;
      sum += d;
      min = Math.min(min, d);
      rows++;
    }
  });
  let overlap = 0;
  baseQ.forEach((q, i) => {
    const a = new Set(topK(maxSimMany(q, base), 10).map((r) => r.index));
    overlap += topK(maxSimMany(otherQ[i]!, other), 10).filter((r) => a.has(r.index)).length / 10;
  });
  return {
    meanRowCosine: round(sum / rows, 5),
    minRowCosine: round(min, 5),
    top10Overlap: round(overlap / baseQ.length, 3),
  };
}

/**
 * `tessera export` against the Python toolchain on one synthetic checkpoint: export time, and
 * the docs/s of each graph through the same ONNX backend code path (same texts, threads and
 * batching), measured in alternating rounds so that drift hits every graph alike.
 */
async function exportShape(
  model: { name: string; dir: string },
  python: string | undefined,
  texts: string[],
  queries: string[],
  threads: number,
  rounds: number,
  notes: string[],
): Promise<ExportShapeResult> {
  const work = mkdtempSync(join(tmpdir(), 'tessera-bench-export-'));
  try {
    // A private copy of the checkpoint (without its graphs), which receives every graph compared.
    const dir = join(work, 'model');
    cpSync(model.dir, dir, { recursive: true, filter: (src) => basename(src) !== 'onnx' });
    mkdirSync(join(dir, 'onnx'));
    const fp32 = await exportOnnx(dir, join(work, 'tessera'), { dtype: 'fp32' });
    const q8 = await exportOnnx(dir, join(work, 'tessera'), { dtype: 'q8' });
    // Every graph sits in the copy's onnx/ under its own name, so one backend option picks it.
    const graphs: Array<{ graph: string; maker: string; file: string }> = [
      { graph: 'fp32', maker: 'tessera export', file: fp32.file },
      { graph: 'q8', maker: 'tessera export --dtype q8', file: q8.file },
    ];
    let peerSeconds: ExportShapeResult['peerSeconds'];
    if (python) {
      const script = fileURLToPath(new URL('../../python/export_peer.py', import.meta.url));
      const r = spawnSync(python, [script, dir, fp32.file, join(work, 'python')], {
        encoding: 'utf8',
        env: peerEnv(),
        maxBuffer: 1 << 24,
      });
      if (r.status === 0) {
        const o = JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, string | number>;
        peerSeconds = {
          torchExport: round(Number(o.torch_export_s), 2),
          quantizeDynamic: round(Number(o.quantize_s), 2),
        };
        graphs.push(
          {
            graph: 'fp32',
            maker: `torch.onnx.export (${o.exporter}, torch ${o.torch})`,
            file: join(work, 'python', 'torch-fp32.onnx'),
          },
          {
            graph: 'q8',
            maker: `quantize_dynamic (onnxruntime ${o.onnxruntime}, QInt8)`,
            file: join(work, 'python', 'ort-q8.onnx'),
          },
        );
      } else notes.push(`export peers not measured: ${r.stderr.split('\n').slice(-4).join(' ')}`);
    }
    const names = graphs.map((g, i) => {
      const name = `onnx/bench-export-${i}.onnx`;
      copyFileSync(g.file, join(dir, name));
      return name;
    });
    const encoders: Tessera[] = [];
    try {
      for (const name of names)
        encoders.push(
          await Tessera.create({
            model: dir,
            backend: 'onnx',
            device: 'cpu',
            threads,
            backendOptions: { onnxFile: name },
          }),
        );
      const rates: number[][] = graphs.map(() => []);
      const outputs: TokenEmbeddings[][] = [];
      const queryRows: TokenEmbeddings[][] = [];
      for (const t of encoders) {
        outputs.push(await t.encodeDocuments(texts)); // warm-up, and the rows compared
        queryRows.push(await t.encodeQueries(queries));
      }
      for (let r = 0; r < rounds; r++)
        for (const [i, t] of encoders.entries()) {
          const t0 = performance.now();
          await t.encodeDocuments(texts);
          rates[i]!.push(texts.length / ((performance.now() - t0) / 1000));
        }
      const results: ExportedGraph[] = graphs.map((g, i) => ({
        graph: g.graph,
        maker: g.maker,
        docsPerSec: round(median(rates[i]!), 2),
        ...(i === 0 ? {} : agreement(outputs[0]!, outputs[i]!, queryRows[0]!, queryRows[i]!)),
      }));
      const rate = (i: number) => results[i]?.docsPerSec;
      const ratio = (a: number | undefined, b: number | undefined) => (a && b ? round(a / b, 3) : undefined);
      return {
        model: model.name,
        exportSeconds: { fp32: round(fp32.seconds, 2), q8: round(q8.seconds, 2) },
        peerSeconds,
        graphs: results,
        ratios: {
          fp32VsTorch: ratio(rate(0), rate(2)),
          q8VsQuantizeDynamic: ratio(rate(1), rate(3)),
          q8VsFp32: ratio(rate(1), rate(0))!,
        },
      };
    } finally {
      for (const t of encoders) await t.dispose();
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

export async function exportBench(
  models: Array<{ name: string; dir: string }>,
  options: { python: string | undefined; texts: string[]; queries: string[]; threads: number; rounds: number },
  notes: string[],
): Promise<ExportResults> {
  const shapes: ExportShapeResult[] = [];
  for (const m of models)
    shapes.push(
      await exportShape(m, options.python, options.texts, options.queries, options.threads, options.rounds, notes),
    );
  return { texts: options.texts.length, queries: options.queries.length, peers: options.python, shapes };
}
