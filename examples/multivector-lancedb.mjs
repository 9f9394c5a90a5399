// ColBERT multivectors in your own LanceDB table (a list-of-vectors column), searched by MaxSim.
// toRows() gives each text's token rows as number[][], the shape LanceDB (and Qdrant) take.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as lancedb from '@lancedb/lancedb';
import { Field, FixedSizeList, Float32, Int32, List, Schema, Utf8 } from 'apache-arrow';
import { Tessera, toRows } from '@tessera/core';
import '@tessera/backend-onnx';
import { model } from './model.mjs';

const corpus = [
  'Paris is the capital of France.',
  'Mount Everest is the highest mountain.',
  'The Louvre is a museum in Paris.',
  'Bananas are rich in potassium.',
];
const t = await Tessera.create({ model, backend: 'onnx' });
const docs = await t.encodeDocuments(corpus);
const db = await lancedb.connect(mkdtempSync(join(tmpdir(), 'tessera-lancedb-example-')));
// The column type must be given: inferred from nested arrays, LanceDB takes them for one vector.
const dim = docs[0].dim;
const schema = new Schema([
  new Field('id', new Int32(), false),
  new Field('text', new Utf8(), false),
  new Field(
    'vectors',
    new List(new Field('item', new FixedSizeList(dim, new Field('item', new Float32(), true)), true)),
    false,
  ),
]);
const table = await db.createTable(
  'passages',
  corpus.map((text, i) => ({ id: i, text, vectors: toRows(docs[i]) })),
  { schema },
);

// Read the rows back and rank them by MaxSim against the query.
const [q] = await t.encodeQueries(['what is the capital of france']);
const rows = await table.query().toArray();
const scored = rows.map((r) => {
  // A list-of-vectors cell: .get(i) is row i.
  const rows = Array.from({ length: r.vectors.length }, (_, i) => Array.from(r.vectors.get(i).toArray()));
  return { text: r.text, score: t.score(q, { rows: rows.length, dim: q.dim, data: Float32Array.from(rows.flat()) }) };
});
scored.sort((a, b) => b.score - a.score);
for (const s of scored) console.log(`${s.score.toFixed(3)}  ${s.text}`);
// What LanceDB stored scores exactly as the rows Tessera encoded.
const direct = docs.map((d) => t.score(q, d)).sort((a, b) => b - a);
if (scored.length !== corpus.length || scored.some((s, i) => Math.abs(s.score - direct[i]) > 1e-6)) process.exit(1);
await t.dispose();
