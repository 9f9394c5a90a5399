// Reranking a small corpus against a query.
import { Tessera } from '@tessera/core';
import '@tessera/backend-onnx';
import { model } from './model.mjs';

const corpus = [
  'The Eiffel Tower is a wrought-iron lattice tower in Paris.',
  'Mount Everest is the highest mountain above sea level.',
  'Paris is the capital and most populous city of France.',
  'The Great Wall of China is a series of fortifications.',
  'France is a country in Western Europe.',
];
const t = await Tessera.create({ model, backend: 'onnx' });
const ranked = await t.rerank('what is the capital of france', corpus, { topK: 3 });
for (const [i, r] of ranked.entries()) console.log(`${i + 1}. ${r.score.toFixed(3)}  ${r.text}`);
await t.dispose();
if (ranked.length !== 3) process.exit(1);
