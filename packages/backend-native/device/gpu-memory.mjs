// The memory path on a real GPU, native backend: devices 'all', the initial token budget from
// free memory, the memory a padded token really takes (to check core's estimate), and a batch
// far past the device's memory: core halves it until it fits, the rows match, the budget shrinks.
// Writes $OUT/gpu-memory.json.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tessera } from '@tessera/core';
import { bytesPerToken } from '@tessera/core/backend';
import { SYNTHETIC_SHAPES, writeSyntheticColbert } from '@tessera/core/testing';
import { backend } from '@tessera/backend-native';

const root = process.env.TESSERA_ROOT ?? process.cwd();
const out = process.env.OUT ?? '/tmp';
const used = () =>
  Number(
    execFileSync('nvidia-smi', ['--query-gpu=memory.used', '--format=csv,noheader,nounits', '--id=0'], {
      encoding: 'utf8',
    }).trim(),
  ) *
  2 ** 20;
const log = (m) => console.log(m);
const result = { shape: 'base', steps: {} };
const dir = '/tmp/tessera-gpu-memory/base';
writeSyntheticColbert(dir, SYNTHETIC_SHAPES.base, {
  tokenizerDir: join(root, 'fixtures/colbert-stanford'),
  docMaxlen: 512,
});

// 1. A pool of every accelerator, and the budget from free memory.
const t = await Tessera.create({ model: dir, backend, devices: 'all', strict: true });
result.steps.pool = { devices: t.devices, budget: t.batchLimits.maxTokens, note: t.budgetNote };
log(`devices 'all': ${t.devices.join(', ')}; initial budget ${t.batchLimits.maxTokens} tokens (${t.budgetNote})`);

// 2. Memory per padded token at two lengths (the caching allocator keeps its peak reserved).
const words = 'the quick brown fox jumps over the lazy dog while a river runs to the sea '.split(' ');
const doc = (n) => Array.from({ length: n }, (_, i) => words[i % words.length]).join(' ');
const measure = [];
let before = used();
for (const [batch, len] of [
  [64, 128],
  [32, 512],
  [128, 512],
]) {
  const texts = Array.from({ length: batch }, () => doc(len));
  const r = await t.encodeDocuments(texts, { maxBatchSize: batch, maxTokens: batch * 600 });
  const after = used();
  const tokens = batch * r[0].tokens;
  measure.push({
    batch,
    seqLen: r[0].tokens,
    grewBytes: after - before,
    peakBytesPerToken: Math.round((after - before) / tokens),
    estimate: bytesPerToken(t.spec, r[0].tokens, 4),
  });
  log(
    `batch ${batch} x ${r[0].tokens}: memory.used grew ${((after - before) / 2 ** 20).toFixed(0)} MiB ` +
      `(${Math.round((after - before) / tokens)} B/token; core's estimate ` +
      `${bytesPerToken(t.spec, r[0].tokens, 4)})`,
  );
  before = Math.max(before, after);
}
result.steps.perToken = measure;
await t.dispose();

// 3. One batch well past the device's memory.
const free =
  Number(
    execFileSync('nvidia-smi', ['--query-gpu=memory.free', '--format=csv,noheader,nounits', '--id=0'], {
      encoding: 'utf8',
    }).trim(),
  ) *
  2 ** 20;
const perToken = bytesPerToken(
  { ...SYNTHETIC_SHAPES.base, config: { intermediate_size: 3072, num_attention_heads: 12 }, hiddenSize: 768 },
  512,
  4,
);
const n = Math.ceil((2 * free) / (perToken * 512));
const big = await Tessera.create({
  model: dir,
  backend,
  device: 'cuda:0',
  strict: true,
  batch: { maxBatchSize: n, maxTokens: 1e12, maxPaddingShare: 1 },
});
const changes = [];
big.on('budget', (c) => changes.push(c));
big.on('warning', () => {});
const texts = Array.from({ length: n }, (_, i) => `${doc(500)} ${i}`);
const t0 = Date.now();
let splits = 0;
const rows = await big.encodeDocuments(texts, { onBatch: (s) => (splits += s.splits) });
const secs = (Date.now() - t0) / 1000;
const after = big.batchLimits.maxTokens;
await big.dispose();
// The same texts with an ordinary budget: the rows must agree.
const ref = await Tessera.create({ model: dir, backend, device: 'cuda:0', strict: true });
const sample = [0, Math.floor(n / 2), n - 1];
const want = await ref.encodeDocuments(sample.map((i) => texts[i]));
let maxDiff = 0;
sample.forEach((i, k) => {
  for (let j = 0; j < want[k].data.length; j++)
    maxDiff = Math.max(maxDiff, Math.abs(want[k].data[j] - rows[i].data[j]));
});
await ref.dispose();
result.steps.outOfMemory = {
  texts: n,
  tokensEach: rows[0].tokens,
  freeBytesBefore: free,
  splits,
  seconds: secs,
  budgetChanges: changes.map((c) => ({
    device: c.device,
    failedTokens: c.failedTokens,
    before: c.before,
    after: c.after,
  })),
  budgetAfter: after,
  maxDiffVsOrdinaryBudget: maxDiff,
  firstMessage: changes[0]?.message,
};
log(
  `${n} texts of ${rows[0].tokens} tokens in one planned batch ` +
    `(${((n * rows[0].tokens * perToken) / 2 ** 30).toFixed(0)} GiB by the estimate, ` +
    `${(free / 2 ** 30).toFixed(0)} GiB free): ${splits} splits, ${changes.length} budget changes, budget ` +
    `now ${after}; ${secs.toFixed(1)} s; rows vs an ordinary budget: max diff ${maxDiff.toExponential(2)}`,
);
if (changes[0]) log(changes[0].message);
writeFileSync(join(out, 'gpu-memory.json'), JSON.stringify(result, null, 2));
