// Batch processing: the same documents batched and one at a time, with a parity check and the speedup.
import { Tessera } from '@tessera/core';
import '@tessera/backend-onnx';
import { model } from './model.mjs';

const words =
  'late interaction retrieval keeps token level vectors and matches each query token to its best document token'.split(
    ' ',
  );
const docs = Array.from({ length: 64 }, (_, i) => words.slice(0, 3 + ((i * 7) % words.length)).join(' ') + ` (${i})`);

const t = await Tessera.create({ model, backend: 'onnx' });
await t.encodeDocuments(docs.slice(0, 8)); // warm-up

let start = performance.now();
const batched = await t.encodeDocuments(docs);
const batchedMs = performance.now() - start;

start = performance.now();
const single = [];
for (const d of docs) single.push((await t.encodeDocuments([d]))[0]);
const singleMs = performance.now() - start;

// Same rows (count and token ids) and values; a NaN or a missing row fails the check instead of hiding in Math.max.
let maxDiff = batched.length === docs.length && single.length === docs.length ? 0 : Infinity;
batched.forEach((b, i) => {
  const s = single[i];
  if (b.rows !== s.rows || b.tokenIds.join() !== s.tokenIds.join()) maxDiff = Infinity;
  else
    b.data.forEach(
      (v, k) => (maxDiff = Number.isNaN(v - s.data[k]) ? Infinity : Math.max(maxDiff, Math.abs(v - s.data[k]))),
    );
});
console.log(
  `batched: ${batchedMs.toFixed(0)} ms, one at a time: ${singleMs.toFixed(0)} ms, speedup ${(singleMs / batchedMs).toFixed(2)}x`,
);
console.log(`largest difference between batched and one-at-a-time rows: ${maxDiff.toExponential(2)}`);
await t.dispose();
if (!(maxDiff <= 1e-5)) {
  console.error('parity check failed: batched output differs from one-at-a-time output');
  process.exit(1);
}
