import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadModelSpec, maxSimMany, Tessera, topK, writeSafetensors, type RowMatrix } from '@tessera/core';
import { SafetensorsFile } from '@tessera/core/backend';
import { errorOf } from '@tessera/core/testing';
import { fixtures } from '@tessera/fixtures';
import { backend, exportCacheDir, exportOnnx, readGraphInfo, type ExportManifest } from '../src/index.js';
import { nodeFiles } from '@tessera/core/backend';

const root = mkdtempSync(join(tmpdir(), 'tessera-export-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
/** A fixture's folder without its ONNX graphs, so the backend has to export one. */
function withoutGraph(dir: string): string {
  const copy = join(root, `model-${n++}`);
  cpSync(dir, copy, { recursive: true, filter: (src) => basename(src) !== 'onnx' });
  return copy;
}

const TEXTS = Array.from(
  { length: 30 },
  (_, i) => `passage ${i}: the ${['quick', 'slow', 'red', 'tall'][i % 4]} fox ${i * 7} jumps over ${i % 5} lazy dogs`,
);
const QUERIES = ['quick fox', 'lazy dogs 3', 'tall red jumps', 'passage 12', 'slow fox over'];

function rowCosines(a: RowMatrix[], b: RowMatrix[]): number[] {
  const out: number[] = [];
  a.forEach((x, i) => {
    const y = b[i]!;
    for (let r = 0; r < x.rows; r++) {
      let d = 0;
      let nx = 0;
      let ny = 0;
      for (let k = 0; k < x.dim; k++) {
        const p = x.data[r * x.dim + k]!;
        const q = y.data[r * x.dim + k]!;
        d += p * q;
        nx += p * p;
        ny += q * q;
      }
      out.push(d / Math.sqrt(nx * ny));
    }
  });
  return out;
}

async function encodeWith(model: string, options: Record<string, unknown> = {}) {
  const messages: string[] = [];
  const t = await Tessera.create({
    model,
    backend,
    device: 'cpu',
    threads: 2,
    onWarning: (m) => messages.push(m),
    ...options,
  });
  try {
    const docs = await t.encodeDocuments(TEXTS);
    const queries = await t.encodeQueries(QUERIES);
    return { docs, queries, messages, engine: t.engine };
  } finally {
    await t.dispose();
  }
}

describe('export on first use', () => {
  it('exports a folder without a graph into the cache once, says so, and loads it from there later', async () => {
    process.env.TESSERA_CACHE = join(root, 'cache-first-use');
    const dir = withoutGraph(fixtures.stanford);
    const first = await encodeWith(dir);
    expect(first.engine).toContain('exported model.onnx');
    expect(first.messages.join('\n')).toMatch(
      /has no ONNX graph for dtype fp32: exported one .* in \d+\.\d s to .*model\.onnx/,
    );
    const cache = await exportCacheDir(await loadModelSpec(dir));
    expect(cache.startsWith(join(root, 'cache-first-use', 'onnx'))).toBe(true);
    const manifest = JSON.parse(readFileSync(join(cache, 'export.json'), 'utf8')) as ExportManifest;
    expect(manifest.source).toBe(dir);
    expect(manifest.graphs['model.onnx']!.dtype).toBe('fp32');

    const again = await encodeWith(dir);
    expect(again.messages).toEqual([]);
    const reference = await encodeWith(fixtures.stanford);
    expect(Math.min(...rowCosines(again.docs, reference.docs))).toBeGreaterThan(0.99999);
  });

  it('keys the cache by the weights: another checkpoint in the same place gets its own export', async () => {
    process.env.TESSERA_CACHE = join(root, 'cache-keyed');
    const a = withoutGraph(fixtures.stanford);
    const b = withoutGraph(fixtures.pylate);
    expect(await exportCacheDir(await loadModelSpec(a))).not.toBe(await exportCacheDir(await loadModelSpec(b)));
  });

  it('q8: int8 linear weights within the documented agreement of fp32, in a smaller file', async () => {
    process.env.TESSERA_CACHE = join(root, 'cache-q8');
    const dir = withoutGraph(fixtures.stanford);
    const fp32 = await encodeWith(dir);
    const q8 = await encodeWith(dir, { dtype: 'q8' });
    expect(q8.engine).toContain('exported model_quantized.onnx');
    const cos = rowCosines(q8.docs, fp32.docs);
    expect(cos.reduce((a, b) => a + b, 0) / cos.length).toBeGreaterThan(0.999);
    expect(Math.min(...cos)).toBeGreaterThan(0.995);
    // Ranking: the top 10 of 30 passages for each query mostly agree with fp32's.
    let shared = 0;
    fp32.queries.forEach((q, i) => {
      const top = (docs: RowMatrix[], query: RowMatrix) => topK(maxSimMany(query, docs), 10).map((r) => r.index);
      const a = new Set(top(fp32.docs, q));
      shared += top(q8.docs, q8.queries[i]!).filter((d) => a.has(d)).length;
    });
    expect(shared / (10 * QUERIES.length)).toBeGreaterThanOrEqual(0.9);
    // The graph is smaller than fp32's by the layers' weights (the embeddings stay float32).
    const cache = await exportCacheDir(await loadModelSpec(dir));
    const size = (f: string) => readFileSync(join(cache, f)).length;
    expect(size('model_quantized.onnx')).toBeLessThan(size('model.onnx'));
  });

  it('writes the patterns ONNX Runtime fuses: every q8 linear one int8 kernel, exact GELU one Gelu', async () => {
    const ort = (await import('onnxruntime-node')).default;
    const optimizedOps = async (dtype: 'fp32' | 'q8') => {
      const r = await exportOnnx(fixtures.stanford, join(root, `fused-${dtype}`), { dtype });
      const optimized = join(root, `fused-${dtype}`, 'optimized.onnx');
      const session = await ort.InferenceSession.create(r.file, {
        graphOptimizationLevel: 'all',
        optimizedModelFilePath: optimized,
        logSeverityLevel: 3,
      });
      await session.release();
      return readGraphInfo(readFileSync(optimized)).ops;
    };
    const linears = 2 * 6; // two layers of q, k, v, o, ff1, ff2
    const q8 = await optimizedOps('q8');
    expect((q8.DynamicQuantizeMatMul ?? 0) + (q8.MatMulIntegerToFloat ?? 0)).toBe(linears);
    expect(q8.MatMulInteger).toBeUndefined();
    expect(q8.Erf).toBeUndefined();
    const fp32 = await optimizedOps('fp32');
    expect((fp32.Gelu ?? 0) + (fp32.BiasGelu ?? 0)).toBe(2);
    expect(fp32.Erf).toBeUndefined();
  });

  it('fp16: half-size weights give the fp32 rows to within half precision', async () => {
    process.env.TESSERA_CACHE = join(root, 'cache-fp16');
    const dir = withoutGraph(fixtures.modernbert);
    const fp32 = await encodeWith(dir);
    const fp16 = await encodeWith(dir, { dtype: 'fp16' });
    expect(fp16.engine).toContain('exported model_fp16.onnx');
    expect(Math.min(...rowCosines(fp16.docs, fp32.docs))).toBeGreaterThan(0.9999);
  });

  it('a folder with neither a graph nor safetensors weights is refused, naming both', async () => {
    const dir = withoutGraph(fixtures.distilbert);
    rmSync(join(dir, 'model.safetensors'));
    const e = await errorOf(encodeWith(dir));
    expect(e.code).toBe('INVALID_MODEL');
    expect(e.message).toMatch(/no ONNX graph for dtype fp32 .* no model\.safetensors to export one from/);
  });
});

describe('exportOnnx', () => {
  it('writes the graph and export.json: int64 inputs with dynamic batch and sequence axes', async () => {
    const out = join(root, 'plain');
    const r = await exportOnnx(fixtures.distilbert, out);
    expect(r.file).toBe(join(out, 'model.onnx'));
    const info = readGraphInfo(readFileSync(r.file));
    expect(info.inputs.map((i) => [i.name, i.dims])).toEqual([
      ['input_ids', ['batch', 'sequence']],
      ['attention_mask', ['batch', 'sequence']],
    ]);
    expect(info.outputs.map((o) => [o.name, o.dims])).toEqual([['last_hidden_state', ['batch', 'sequence', 32]]]);
    const manifest = JSON.parse(readFileSync(join(out, 'export.json'), 'utf8')) as ExportManifest;
    expect(manifest).toMatchObject({ producer: 'tessera', modelType: 'distilbert', source: fixtures.distilbert });
    expect(manifest.graphs['model.onnx']).toMatchObject({ dtype: 'fp32', opset: 17, projection: false });
  });

  it('with the projection: one graph from ids to normalized ColBERT rows, equal to the reference rows', async () => {
    const dir = withoutGraph(fixtures.pylate);
    const r = await exportOnnx(dir, join(dir, 'onnx'), { projection: true, opset: 18 });
    const info = readGraphInfo(readFileSync(r.file));
    const dim = (await loadModelSpec(dir)).outputDim;
    expect(info.outputs.map((o) => [o.name, o.dims])).toEqual([['embeddings', ['batch', 'sequence', dim]]]);
    const exported = await encodeWith(dir);
    expect(exported.engine).toMatch(/onnx\/model\.onnx\)$/); // no projection added by the backend
    const reference = await encodeWith(fixtures.pylate);
    expect(Math.min(...rowCosines(exported.docs, reference.docs))).toBeGreaterThan(0.99999);
  });

  it('writes graphs ONNX Runtime loads at every opset from 17 to 21', async () => {
    const ort = (await import('onnxruntime-node')).default;
    for (let opset = 17; opset <= 21; opset++)
      for (const model of [fixtures.pylate, fixtures.modernbert]) {
        const r = await exportOnnx(model, join(root, `opset-${opset}-${basename(model)}`), { opset, projection: true });
        const session = await ort.InferenceSession.create(r.file);
        expect(session.outputNames).toEqual(['embeddings']);
        await session.release();
      }
  });

  it('refuses an architecture it cannot export, naming the ones it can', async () => {
    const dir = withoutGraph(fixtures.stanford);
    const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...config, model_type: 'electra' }));
    const e = await errorOf(exportOnnx(dir, join(root, 'electra')));
    expect(e.code).toBe('INVALID_MODEL');
    expect(e.message).toMatch(/model_type "electra" cannot be exported .*bert, distilbert, roberta, xlm-roberta/);
  });

  it('names a tensor the graph needs that the weights lack', async () => {
    const dir = withoutGraph(fixtures.distilbert);
    const file = join(dir, 'model.safetensors');
    const st = await SafetensorsFile.open(file, nodeFiles);
    const keep: Record<string, { dtype: 'F32'; shape: number[]; data: Float32Array }> = {};
    const dropped = st.names().find((k) => k.endsWith('transformer.layer.1.ffn.lin2.weight'))!;
    for (const k of st.names())
      if (k !== dropped) keep[k] = { dtype: 'F32', shape: st.info(k).shape, data: await st.readFloat32(k) };
    await writeSafetensors(file, keep);
    const e = await errorOf(exportOnnx(dir, join(root, 'missing')));
    expect(e.code).toBe('INVALID_MODEL');
    expect(e.message).toContain(`tensor "${dropped}" is missing`);
  });

  it("refuses a target folder holding another model's export or other files, unless forced", async () => {
    const out = join(root, 'taken');
    await exportOnnx(fixtures.stanford, out);
    const e = await errorOf(exportOnnx(fixtures.roberta, out));
    expect(e.code).toBe('INVALID_OPTION');
    expect(e.message).toMatch(/holds an export of another model .*colbert-stanford.*--force/);
    // The same model again is an update, not a conflict.
    await exportOnnx(fixtures.stanford, out, { dtype: 'q8' });
    const manifest = JSON.parse(readFileSync(join(out, 'export.json'), 'utf8')) as ExportManifest;
    expect(Object.keys(manifest.graphs).sort()).toEqual(['model.onnx', 'model_quantized.onnx']);
    await exportOnnx(fixtures.roberta, out, { force: true });

    const other = join(root, 'other-files');
    mkdirSync(other);
    writeFileSync(join(other, 'notes.txt'), 'mine');
    expect((await errorOf(exportOnnx(fixtures.stanford, other))).message).toMatch(
      /not a Tessera export \(notes\.txt\)/,
    );
  });

  it('refuses an opset or dtype it does not write', async () => {
    const opset = await errorOf(exportOnnx(fixtures.stanford, join(root, 'o'), { opset: 13 }));
    expect(opset.message).toMatch(/opset 13 .*17 to 21/);
    const dtype = await errorOf(exportOnnx(fixtures.stanford, join(root, 'd'), { dtype: 'q4' as never }));
    expect(dtype.message).toMatch(/dtype "q4" .*fp32, q8, fp16/);
  });

  it('a disk that fills while writing: WRITE_FAILED naming the file, nothing under the final name', () => {
    const out = join(root, 'full');
    const script = join(root, 'export-full.mjs');
    writeFileSync(
      script,
      `import { exportOnnx } from ${JSON.stringify(new URL('../dist/index.js', import.meta.url).pathname)};
      try { await exportOnnx(${JSON.stringify(fixtures.stanford)}, ${JSON.stringify(out)}); console.log('wrote'); }
      catch (e) { console.log(e.code + ': ' + e.message); }`,
    );
    // `ulimit -f` (KiB) makes a write past 1 MiB fail with EFBIG, as a full disk fails with ENOSPC.
    const r = spawnSync('bash', ['-c', `ulimit -f 1024; exec "${process.execPath}" "${script}"`], { encoding: 'utf8' });
    expect(r.stdout).toMatch(/WRITE_FAILED: cannot write .*model\.onnx: the file size limit was reached \(EFBIG\)/);
    expect(existsSync(join(out, 'model.onnx'))).toBe(false);
    expect(readdirSync(out)).toEqual([]);
  });
});
