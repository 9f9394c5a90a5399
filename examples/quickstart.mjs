// Quickstart: ColBERT embeddings and MaxSim scores in a few lines.
import { Tessera } from '@tessera/core';
import '@tessera/backend-onnx';
import { model } from './model.mjs';

const t = await Tessera.create({ model, backend: 'onnx' });
const [query] = await t.encodeQueries(['what is late interaction?']);
const docs = await t.encodeDocuments([
  'ColBERT keeps one vector per token and scores with MaxSim.',
  'Bananas are rich in potassium.',
]);
const scores = t.score(query, docs);
console.log(`query: ${query.rows} rows x ${query.dim}; documents: ${docs.map((d) => d.rows).join(', ')} rows`);
console.log('MaxSim:', Array.from(scores, (s) => s.toFixed(3)).join(', '));
await t.dispose();

// What a user may rely on: one score per document, finite, at most the number of query rows
// (each query row contributes a cosine of unit vectors); every row has unit length.
const problems = [];
if (scores.length !== docs.length) problems.push(`${scores.length} scores for ${docs.length} documents`);
scores.forEach((s, i) => {
  if (!Number.isFinite(s) || Math.abs(s) > query.rows + 1e-4) problems.push(`score ${i} is ${s}`);
});
for (const e of [query, ...docs]) {
  if (!(e.rows > 0) || e.data.length !== e.rows * e.dim)
    problems.push(`text ${e.index} has ${e.rows} rows and ${e.data.length} floats`);
  for (let r = 0; r < e.rows; r++) {
    const n = Math.hypot(...e.data.subarray(r * e.dim, (r + 1) * e.dim));
    if (!(Math.abs(n - 1) < 1e-4)) problems.push(`text ${e.index} row ${r} has norm ${n}`);
  }
}
if (problems.length) {
  console.error(`quickstart check failed: ${problems.join('; ')}`);
  process.exit(1);
}
