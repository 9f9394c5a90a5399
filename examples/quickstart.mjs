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
console.log(`query: ${query.rows} rows x ${query.dim}; documents: ${docs.map((d) => d.rows).join(', ')} rows`);
console.log('MaxSim:', Array.from(t.score(query, docs), (s) => s.toFixed(3)).join(', '));
await t.dispose();
