// CUDA vs CPU throughput of the native backend on a synthetic answerai-colbert-small-shaped
// checkpoint (BERT, hidden 384, 12 layers, 96-dim projection, seeded random weights).
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Tessera, encodeSafetensors, maxSimMany } from '@tessera/core';
import { backend } from '@tessera/backend-native';

const H = 384, LAYERS = 12, FF = 1536, V = 30522, DIM = 96;
let seed = 12345;
const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648 - 0.5) * 0.04;
const t = (shape, fill) => { const n = shape.reduce((a, b) => a * b, 1); const data = new Float32Array(n); for (let i = 0; i < n; i++) data[i] = fill ?? rand(); return { dtype: 'F32', shape, data }; };
const dir = '/tmp/synthetic-colbert-small';
mkdirSync(dir, { recursive: true });
const w = {
  'bert.embeddings.word_embeddings.weight': t([V, H]), 'bert.embeddings.position_embeddings.weight': t([512, H]), 'bert.embeddings.token_type_embeddings.weight': t([2, H]),
  'bert.embeddings.LayerNorm.weight': t([H], 1), 'bert.embeddings.LayerNorm.bias': t([H], 0), 'linear.weight': t([DIM, H]),
};
for (let i = 0; i < LAYERS; i++) {
  const p = `bert.encoder.layer.${i}.`;
  for (const n of ['attention.self.query', 'attention.self.key', 'attention.self.value', 'attention.output.dense']) { w[`${p}${n}.weight`] = t([H, H]); w[`${p}${n}.bias`] = t([H]); }
  w[`${p}intermediate.dense.weight`] = t([FF, H]); w[`${p}intermediate.dense.bias`] = t([FF]);
  w[`${p}output.dense.weight`] = t([H, FF]); w[`${p}output.dense.bias`] = t([H]);
  for (const n of ['attention.output.LayerNorm', 'output.LayerNorm']) { w[`${p}${n}.weight`] = t([H], 1); w[`${p}${n}.bias`] = t([H], 0); }
}
writeFileSync(join(dir, 'model.safetensors'), encodeSafetensors(w));
writeFileSync(join(dir, 'config.json'), JSON.stringify({ architectures: ['HF_ColBERT'], model_type: 'bert', hidden_size: H, num_hidden_layers: LAYERS, num_attention_heads: 12, intermediate_size: FF, vocab_size: V, max_position_embeddings: 512, type_vocab_size: 2, hidden_act: 'gelu', layer_norm_eps: 1e-12, pad_token_id: 0 }));
writeFileSync(join(dir, 'artifact.metadata'), JSON.stringify({ query_token_id: '[unused0]', doc_token_id: '[unused1]', query_maxlen: 32, doc_maxlen: 512, dim: DIM }));
copyFileSync(join(process.env.TESSERA_FIXTURES, 'colbert-stanford', 'tokenizer.json'), join(dir, 'tokenizer.json'));

const words = 'the of and in to a is was for on as with by he at from his an were are which this also be has or had first one their its new after who they two her she been other when there all during into school time may years more most only over city some world would where later up such used many can state about national out known university united then made'.split(' ');
const docs = Array.from({ length: 512 }, (_, i) => { const n = 8 + ((i * 37) % 380); return Array.from({ length: n }, (_, k) => words[(i * 7 + k * 13) % words.length]).join(' '); });

async function measure(device, maxBatchSize, maxTokens) {
  const m = await Tessera.create({ model: dir, backend, device, strict: true, threads: device === 'cpu' ? availableParallelism() : undefined, batch: { maxBatchSize, maxTokens } });
  await m.encodeDocuments(docs.slice(0, 32));
  const t0 = performance.now();
  const out = await m.encodeDocuments(docs);
  const s = (performance.now() - t0) / 1000;
  const tokens = out.reduce((a, r) => a + r.tokens, 0);
  const [q] = await m.encodeQueries(['what is the national university of the city']);
  const scores = maxSimMany(q, out.slice(0, 64));
  await m.dispose();
  console.log(`${device.padEnd(7)} batch ${String(maxBatchSize).padStart(3)} budget ${String(maxTokens).padStart(6)}: ${(docs.length / s).toFixed(1)} docs/s, ${(tokens / s).toFixed(0)} tokens/s (${s.toFixed(2)} s for ${docs.length} docs)`);
  return { out, scores };
}

console.log(`synthetic checkpoint: hidden ${H}, ${LAYERS} layers, dim ${DIM}; ${docs.length} documents of 10-390 words; CPU threads ${availableParallelism()}`);
const cpu = await measure('cpu', 8, 4096);
const gpu = await measure('cuda:0', 64, 65536);
await measure('cuda:0', 128, 131072);
let diff = 0;
cpu.out.forEach((r, i) => r.data.forEach((v, k) => (diff = Math.max(diff, Math.abs(v - gpu.out[i].data[k])))));
let sdiff = 0;
cpu.scores.forEach((s, i) => (sdiff = Math.max(sdiff, Math.abs(s - gpu.scores[i]))));
console.log(`CUDA vs CPU: largest row difference ${diff.toExponential(2)}, largest MaxSim difference ${sdiff.toExponential(2)}`);
