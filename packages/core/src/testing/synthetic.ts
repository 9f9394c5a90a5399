import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeSafetensors, type TensorToWrite } from '../io/safetensors-write.js';

/** The shapes of real checkpoints, for benchmarks with seeded random weights. */
export const SYNTHETIC_SHAPES = {
  small: {
    hidden: 384,
    layers: 12,
    heads: 12,
    ff: 1536,
    dim: 96,
    description: 'answerai-colbert-small-v1 shape (BERT, hidden 384, 12 layers, 96-dim projection), random weights',
  },
  base: {
    hidden: 768,
    layers: 12,
    heads: 12,
    ff: 3072,
    dim: 128,
    description: 'colbertv2.0 shape (BERT-base, hidden 768, 12 layers, 128-dim projection), random weights',
  },
} as const;

export type SyntheticShape = (typeof SYNTHETIC_SHAPES)[keyof typeof SYNTHETIC_SHAPES];

/** BERT weights by their checkpoint names (without the "bert." prefix), for writers of other formats. */
export type BertWeights = Map<string, { shape: number[]; data: Float32Array }>;

/**
 * Writes a Stanford ColBERT folder (config.json, artifact.metadata, model.safetensors) of a real
 * checkpoint's shape with seeded random weights, and copies a tokenizer into it. Returns the
 * backbone weights so that callers can also write them as another format (ONNX).
 */
export function writeSyntheticColbert(
  dir: string,
  s: SyntheticShape,
  o: { tokenizerDir: string; queryMaxlen?: number; docMaxlen?: number },
): BertWeights {
  mkdirSync(dir, { recursive: true });
  let seed = 7 + s.hidden;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648 - 0.5;
  const weights: BertWeights = new Map();
  const t = (key: string, shape: number[], fill?: number, scale = 0.04) => {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < data.length; i++) data[i] = fill ?? rand() * scale;
    weights.set(key, { shape, data });
  };
  t('embeddings.word_embeddings.weight', [30522, s.hidden]);
  t('embeddings.position_embeddings.weight', [512, s.hidden]);
  t('embeddings.token_type_embeddings.weight', [2, s.hidden]);
  t('embeddings.LayerNorm.weight', [s.hidden], 1);
  t('embeddings.LayerNorm.bias', [s.hidden], 0);
  for (let l = 0; l < s.layers; l++) {
    const p = `encoder.layer.${l}.`;
    for (const m of ['attention.self.query', 'attention.self.key', 'attention.self.value', 'attention.output.dense']) {
      t(`${p}${m}.weight`, [s.hidden, s.hidden]);
      t(`${p}${m}.bias`, [s.hidden]);
    }
    t(`${p}intermediate.dense.weight`, [s.ff, s.hidden]);
    t(`${p}intermediate.dense.bias`, [s.ff]);
    t(`${p}output.dense.weight`, [s.hidden, s.ff]);
    t(`${p}output.dense.bias`, [s.hidden]);
    for (const m of ['attention.output.LayerNorm', 'output.LayerNorm']) {
      t(`${p}${m}.weight`, [s.hidden], 1);
      t(`${p}${m}.bias`, [s.hidden], 0);
    }
  }
  const tensors: Record<string, TensorToWrite> = {};
  for (const [k, v] of weights) tensors[`bert.${k}`] = { dtype: 'F32', shape: v.shape, data: v.data };
  tensors['linear.weight'] = {
    dtype: 'F32',
    shape: [s.dim, s.hidden],
    data: new Float32Array(s.dim * s.hidden).map(() => rand() * 0.1),
  };
  writeFileSync(join(dir, 'model.safetensors'), encodeSafetensors(tensors, { format: 'pt' }));
  writeFileSync(
    join(dir, 'config.json'),
    JSON.stringify({
      architectures: ['HF_ColBERT'],
      model_type: 'bert',
      hidden_size: s.hidden,
      num_hidden_layers: s.layers,
      num_attention_heads: s.heads,
      intermediate_size: s.ff,
      vocab_size: 30522,
      max_position_embeddings: 512,
      type_vocab_size: 2,
      hidden_act: 'gelu',
      layer_norm_eps: 1e-12,
      pad_token_id: 0,
    }),
  );
  writeFileSync(
    join(dir, 'artifact.metadata'),
    JSON.stringify({
      query_token_id: '[unused0]',
      doc_token_id: '[unused1]',
      query_maxlen: o.queryMaxlen ?? 32,
      doc_maxlen: o.docMaxlen ?? 512,
      dim: s.dim,
      attend_to_mask_tokens: false,
    }),
  );
  for (const f of ['tokenizer.json', 'tokenizer_config.json', 'vocab.txt'])
    copyFileSync(join(o.tokenizerDir, f), join(dir, f));
  return weights;
}
