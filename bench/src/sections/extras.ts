import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Tessera, maxSimMany, topK } from '@tessera/core';
import { median, round } from '../measure.js';

/** Batched (32, length-sorted) vs one at a time, and length-sorted vs input-order batches of 32. */
export async function batchingEffects(t: Tessera, texts: string[], repetitions: number) {
  const rate = async (o: { maxBatchSize: number; sortByLength: boolean }) => {
    await t.encodeDocuments(texts.slice(0, 8), { ...o, maxTokens: 1 << 30 });
    const rs: number[] = [];
    for (let r = 0; r < repetitions; r++) {
      const t0 = performance.now();
      await t.encodeDocuments(texts, { ...o, maxTokens: 1 << 30 });
      rs.push(texts.length / ((performance.now() - t0) / 1000));
    }
    return median(rs);
  };
  const single = await rate({ maxBatchSize: 1, sortByLength: false });
  const sorted32 = await rate({ maxBatchSize: 32, sortByLength: true });
  const input32 = await rate({ maxBatchSize: 32, sortByLength: false });
  const best: { size: number; rate: number } = { size: 0, rate: 0 };
  for (const size of [2, 4, 8, 16]) {
    const r = await rate({ maxBatchSize: size, sortByLength: true });
    if (r > best.rate) Object.assign(best, { size, rate: r });
  }
  return {
    backend: t.backendName,
    oneAtATime: round(single),
    batch32Sorted: round(sorted32),
    batch32InputOrder: round(input32),
    bestSorted: { batchSize: best.size, docsPerSec: round(best.rate) },
    batchedSpeedup: round(Math.max(sorted32, best.rate) / single),
    sortedVsInputOrder: round(sorted32 / input32),
  };
}

/** Makes onnx/model_quantized.onnx (dynamic int8) with Python's onnxruntime when it is missing. */
export function ensureQuantized(python: string | undefined, dir: string): boolean {
  const out = join(dir, 'onnx', 'model_quantized.onnx');
  if (existsSync(out)) return true;
  if (!python) return false;
  const r = spawnSync(
    python,
    [
      '-c',
      `from onnxruntime.quantization import quantize_dynamic, QuantType; ` +
        `quantize_dynamic(${JSON.stringify(join(dir, 'onnx', 'model.onnx'))}, ${JSON.stringify(out)}, ` +
        `weight_type=QuantType.QInt8)`,
    ],
    { encoding: 'utf8' },
  );
  return r.status === 0 && existsSync(out);
}

/** Speed of the int8 graph against fp32, the cosine of their rows, and MaxSim ranking agreement. */
export async function quantizedComparison(dir: string, texts: string[], queries: string[], threads: number) {
  const fp32 = await Tessera.create({ model: dir, backend: 'onnx', device: 'cpu', threads });
  const q8 = await Tessera.create({ model: dir, backend: 'onnx', device: 'cpu', threads, dtype: 'q8' });
  const time = async (t: Tessera) => {
    await t.encodeDocuments(texts.slice(0, 8));
    const t0 = performance.now();
    const out = await t.encodeDocuments(texts);
    return { out, rate: texts.length / ((performance.now() - t0) / 1000) };
  };
  const a = await time(fp32);
  const b = await time(q8);
  let cos = 0;
  let rows = 0;
  a.out.forEach((x, i) => {
    for (let k = 0; k < x.data.length; k++) cos += x.data[k]! * b.out[i]!.data[k]!;
    rows += x.rows;
  });
  let overlap = 0;
  for (const q of queries) {
    const [qa] = await fp32.encodeQueries([q]);
    const [qb] = await q8.encodeQueries([q]);
    const ta = new Set(topK(maxSimMany(qa!, a.out), 10).map((r) => r.index));
    overlap += topK(maxSimMany(qb!, b.out), 10).filter((r) => ta.has(r.index)).length / 10;
  }
  await fp32.dispose();
  await q8.dispose();
  return {
    fp32DocsPerSec: round(a.rate),
    q8DocsPerSec: round(b.rate),
    speedup: round(b.rate / a.rate),
    meanRowCosine: round(cos / rows, 5),
    top10Overlap: round(overlap / queries.length, 3),
  };
}
