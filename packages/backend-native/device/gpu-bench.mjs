// The native backend on the GPU: agreement of fp16 / bf16 with fp32, and docs/s for batch sizes
// 16-256 in fp32, fp16 and bf16 on synthetic checkpoints of real shapes, on the bench corpus.
// Writes JSON to $OUT (or /tmp) and the first documents' fp32 rows for the PyTorch comparison.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Tessera, maxSimMany, topK } from '@tessera/core';
import { SYNTHETIC_SHAPES, writeSyntheticColbert } from '@tessera/core/testing';
import { backend } from '@tessera/backend-native';

const root = process.env.TESSERA_ROOT ?? process.cwd();
const device = process.env.TESSERA_DEVICE ?? 'cuda:0';
const out = process.env.OUT ?? '/tmp';
const batchSizes = (process.env.TESSERA_BATCHES ?? '16,32,64,128,256').split(',').map(Number);
const dtypes = (process.env.TESSERA_DTYPES ?? 'fp32,fp16,bf16').split(',');
const shapes = (process.env.TESSERA_SHAPES ?? 'small,base').split(',');
const texts = readFileSync(join(root, 'bench/corpus/passages.jsonl'), 'utf8')
  .trim()
  .split('\n')
  .map((l) => JSON.parse(l).text);
const limit = Number(process.env.TESSERA_DOCS ?? texts.length);
const docs = texts.slice(0, limit);
// Queries: a few words from every 13th passage.
const queries = docs.filter((_, i) => i % 13 === 0).map((t) => t.split(/\s+/).slice(3, 11).join(' '));
const DOC_MAXLEN = { small: 300, base: 180 };

const results = { device, batchSizes, corpus: `${docs.length} passages of bench/corpus`, shapes: {} };
for (const name of shapes) {
  const shape = SYNTHETIC_SHAPES[name];
  const dir = join('/tmp/tessera-gpu', name);
  writeSyntheticColbert(dir, shape, {
    tokenizerDir: join(root, 'fixtures/colbert-stanford'),
    docMaxlen: DOC_MAXLEN[name],
  });
  const r = (results.shapes[name] = { description: shape.description, folder: dir, agreement: {}, rates: [] });
  const encoded = {};
  for (const dtype of dtypes) {
    const t = await Tessera.create({
      model: dir,
      backend,
      device,
      strict: true,
      dtype,
      batch: { maxBatchSize: 64, maxTokens: 64 * 512 },
    });
    r.engine ??= t.engine;
    await t.encodeDocuments(docs.slice(0, 64));
    const d = await t.encodeDocuments(docs);
    const q = await t.encodeQueries(queries);
    encoded[dtype] = { d, q };
    for (const b of batchSizes) {
      let best = 0;
      let tokens = 0;
      for (let rep = 0; rep < 2; rep++) {
        const t0 = performance.now();
        const e = await t.encodeDocuments(docs, { maxBatchSize: b, maxTokens: b * 512 });
        best = Math.max(best, docs.length / ((performance.now() - t0) / 1000));
        tokens = e.reduce((s, x) => s + x.tokens, 0);
      }
      r.rates.push({
        dtype,
        batch: b,
        docsPerSec: Math.round(best * 10) / 10,
        tokensPerSec: Math.round((best * tokens) / docs.length),
      });
      console.log(`tessera ${name} ${dtype} batch ${b}: ${best.toFixed(1)} docs/s`);
    }
    await t.dispose();
  }
  const ref = encoded.fp32;
  if (ref) {
    writeFileSync(
      join(dir, 'tessera-fp32-rows.json'),
      JSON.stringify(
        ref.d
          .slice(0, 16)
          .map((e) =>
            Array.from({ length: e.rows }, (_, k) => Array.from(e.data.subarray(k * e.dim, (k + 1) * e.dim))),
          ),
      ),
    );
    for (const dtype of dtypes.filter((x) => x !== 'fp32')) {
      const got = encoded[dtype];
      let maxDiff = 0;
      let rowMaxSum = 0;
      let cos = 0;
      let rows = 0;
      ref.d.forEach((e, i) => {
        const g = got.d[i];
        if (g.rows !== e.rows) throw new Error(`${dtype}: document ${i} has ${g.rows} rows, fp32 ${e.rows}`);
        for (let k = 0; k < e.rows; k++) {
          let m = 0;
          let c = 0;
          for (let j = 0; j < e.dim; j++) {
            m = Math.max(m, Math.abs(e.data[k * e.dim + j] - g.data[k * e.dim + j]));
            c += e.data[k * e.dim + j] * g.data[k * e.dim + j];
          }
          maxDiff = Math.max(maxDiff, m);
          rowMaxSum += m;
          cos += c;
          rows++;
        }
      });
      let overlap = 0;
      ref.q.forEach((q, i) => {
        const a = new Set(topK(maxSimMany(q, ref.d), 10).map((x) => x.index));
        const b = topK(maxSimMany(got.q[i], got.d), 10).map((x) => x.index);
        overlap += b.filter((x) => a.has(x)).length / 10;
      });
      r.agreement[dtype] = {
        maxAbsDiff: maxDiff,
        meanRowMaxAbsDiff: rowMaxSum / rows,
        meanCosine: cos / rows,
        top10Overlap: overlap / ref.q.length,
        queries: ref.q.length,
        rows,
      };
      console.log(
        `${name} ${dtype} vs fp32: max |diff| ${maxDiff.toExponential(2)}, mean row max ` +
          `${(rowMaxSum / rows).toExponential(2)}, mean cosine ${(cos / rows).toFixed(6)}, top-10 overlap ` +
          `${(overlap / ref.q.length).toFixed(3)}`,
      );
    }
  }
}
mkdirSync(out, { recursive: true });
writeFileSync(join(out, 'tessera-gpu.json'), JSON.stringify(results, null, 2));
