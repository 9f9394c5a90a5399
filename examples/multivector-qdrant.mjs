// ColBERT multivectors in Qdrant (multivector config with MAX_SIM comparator), over its REST API.
// Runs when QDRANT_URL is set (e.g. http://localhost:6333); otherwise it says so and exits 0.
import { Tessera, toRows } from '@tessera/core';
import '@tessera/backend-onnx';
import { model } from './model.mjs';

const url = process.env.QDRANT_URL;
if (!url) {
  console.log('multivector-qdrant: QDRANT_URL is not set; skipped (start Qdrant and set it to run this example)');
  process.exit(0);
}
const call = async (method, path, body) => {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: {
      'content-type': 'application/json',
      ...(process.env.QDRANT_API_KEY ? { 'api-key': process.env.QDRANT_API_KEY } : {}),
    },
    body: body && JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${await res.text()}`);
  return res.json();
};

const corpus = [
  'Paris is the capital of France.',
  'Mount Everest is the highest mountain.',
  'The Louvre is a museum in Paris.',
];
const t = await Tessera.create({ model, backend: 'onnx' });
const docs = await t.encodeDocuments(corpus);
const collection = `tessera_example_${Date.now()}`;
await call('PUT', `/collections/${collection}`, {
  vectors: { colbert: { size: docs[0].dim, distance: 'Dot', multivector_config: { comparator: 'max_sim' } } },
});
await call('PUT', `/collections/${collection}/points?wait=true`, {
  points: docs.map((d, i) => ({ id: i, vector: { colbert: toRows(d) }, payload: { text: corpus[i] } })),
});
const [q] = await t.encodeQueries(['what is the capital of france']);
const found = await call('POST', `/collections/${collection}/points/query`, {
  query: toRows(q),
  using: 'colbert',
  limit: 3,
  with_payload: true,
});
for (const p of found.result.points) console.log(`${p.score.toFixed(3)}  ${p.payload.text}`);
// Qdrant's MAX_SIM is MaxSim: its scores equal Tessera's.
for (const p of found.result.points)
  if (Math.abs(p.score - t.score(q, docs[p.id])) > 1e-3)
    throw new Error(`Qdrant scored ${p.score}, Tessera ${t.score(q, docs[p.id])}`);
await call('DELETE', `/collections/${collection}`);
await t.dispose();
