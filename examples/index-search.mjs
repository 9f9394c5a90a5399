// Indexing a corpus into a LanceDB folder, resumably, and searching it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Tessera } from '@tessera/core';
import '@tessera/backend-onnx';
import { openLanceDbStore } from '@tessera/store-lancedb';
import { model } from './model.mjs';

const docs = [
  { id: 'eiffel', text: 'The Eiffel Tower is a wrought-iron lattice tower in Paris.' },
  { id: 'everest', text: 'Mount Everest is the highest mountain above sea level.' },
  { id: 'paris', text: 'Paris is the capital and most populous city of France.', metadata: { country: 'FR' } },
  { id: 'wall', text: 'The Great Wall of China is a series of fortifications.' },
];
const dir = join(mkdtempSync(join(tmpdir(), 'tessera-example-')), 'index');
const t = await Tessera.create({ model, backend: 'onnx' });
const store = await openLanceDbStore(dir);
const summary = await t.index(store, docs, {
  keepText: true,
  onProgress: (p) => console.log(`written ${p.written}/${docs.length}`),
});
console.log(`indexed ${summary.written} documents (${summary.tokens} tokens) into ${dir}`);
// Running it again writes nothing: every document is already there.
const again = await t.index(store, docs);
const hits = await t.search(store, 'what is the capital of france', { topK: 2 });
for (const [i, h] of hits.entries()) console.log(`${i + 1}. ${h.score.toFixed(3)}  ${h.id}  ${h.text}`);
await store.close();
await t.dispose();
rmSync(dir, { recursive: true, force: true });
if (hits.length !== 2 || again.written !== 0 || again.alreadyIndexed !== docs.length) process.exit(1);
