// MaxSim on the GPU: t.scorer() on the native backend keeps the documents on cuda:0 and scores a
// query with matmul + amax + sum; checked against core's kernel, timed for 1 and 64 queries over
// 10k and 100k documents (100 rows, dim 96; 32 query rows). Writes $OUT/gpu-scorer.json.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DocumentScorer, Tessera } from '@tessera/core';
import { backend } from '@tessera/backend-native';

const root = process.env.TESSERA_ROOT ?? process.cwd();
const out = process.env.OUT ?? '/tmp';
let s = 7;
const next = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32 - 0.5;
const rows = (n, dim) => ({ rows: n, dim, data: Float32Array.from({ length: n * dim }, next) });
const median = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const t = await Tessera.create({
  model: join(root, 'fixtures/colbert-stanford'),
  backend,
  device: process.env.TESSERA_DEVICE ?? 'cuda:0',
  strict: true,
});
const result = { device: t.devices, engine: t.engine, runs: [] };
const queries = Array.from({ length: 64 }, () => rows(32, 96));
for (const n of (process.env.TESSERA_SCORER_DOCS ?? '10000,100000').split(',').map(Number)) {
  const docs = Array.from({ length: n }, () => rows(100, 96));
  const t0 = performance.now();
  const scorer = await t.scorer(docs);
  const packMs = performance.now() - t0;
  const got = await scorer.score(queries[0]);
  const core = await DocumentScorer.create(docs.slice(0, 2000), { engine: 'core' });
  const want = await core.score(queries[0]);
  await core.dispose();
  let maxDiff = 0;
  for (let i = 0; i < want.length; i++)
    maxDiff = Math.max(maxDiff, Math.abs(got[i] - want[i]) / Math.max(1, Math.abs(want[i])));
  const one = [];
  for (let r = 0; r < 10; r++) {
    const a = performance.now();
    await scorer.score(queries[r % 64]);
    one.push(performance.now() - a);
  }
  const b = performance.now();
  await scorer.scoreMany(queries);
  const manyMs = performance.now() - b;
  const run = {
    documents: n,
    usesEngine: scorer.usesEngine,
    scorer: scorer.engine,
    packMs: Math.round(packMs),
    oneMs: +median(one).toFixed(2),
    manyMs: Math.round(manyMs),
    maxRelDiffVsCore: maxDiff,
  };
  result.runs.push(run);
  console.log(JSON.stringify(run));
  await scorer.dispose();
}
await t.dispose();
writeFileSync(join(out, 'gpu-scorer.json'), JSON.stringify(result, null, 2));
