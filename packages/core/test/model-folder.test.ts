import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COLBERT_DEFAULTS, loadModelSpec, resolveColbertSettings } from '../src/index.js';
import { fixtures } from '@tessera/fixtures';
import { copyFixture, errorOf } from './helpers.js';

describe('model folders', () => {
  it('reads the Stanford layout: HF_ColBERT, bert. prefix, root linear.weight, artifact.metadata', async () => {
    const s = await loadModelSpec(fixtures.stanford);
    expect(s).toMatchObject({ kind: 'colbert', layout: 'stanford', hiddenSize: 32, outputDim: 24, weightPrefix: 'bert.' });
    expect(s.projection).toHaveLength(1);
    expect(s.projection[0]!.bias).toBeUndefined();
    expect(s.colbert).toMatchObject({ queryMarker: '[unused0]', documentMarker: '[unused1]', queryLength: 32, documentLength: 48, attendToExpansion: false });
    expect(s.onnxFiles).toEqual(['onnx/model.onnx']);
  });

  it('reads the PyLate layout: 0_Transformer, Dense layers in order, config_sentence_transformers.json', async () => {
    const s = await loadModelSpec(fixtures.pylate);
    expect(s).toMatchObject({ kind: 'colbert', layout: 'pylate', outputDim: 16, weightPrefix: '' });
    expect(s.transformerDir).toBe(join(fixtures.pylate, '0_Transformer'));
    expect(s.projection.map((l) => [l.inFeatures, l.outFeatures, !!l.bias])).toEqual([
      [32, 48, true],
      [48, 16, false],
    ]);
    expect(s.colbert).toMatchObject({ queryMarker: '[Q] ', documentMarker: '[D] ', queryLength: 24, documentLength: 40 });
  });

  it('reads a sentence-transformers dense folder with pooling and normalize', async () => {
    const s = await loadModelSpec(fixtures.dense);
    expect(s).toMatchObject({ kind: 'dense', layout: 'sentence-transformers', pooling: 'mean', normalize: true, maxLength: 64, outputDim: 32 });
    expect(s.colbert).toBeUndefined();
  });

  it('takes settings in order: caller, PyLate config, Stanford metadata, defaults', () => {
    const pylate = { cfg: { query_length: 20, query_prefix: '[Q] ' }, file: 'st.json' };
    const stanford = { cfg: { config: { query_maxlen: 40, doc_maxlen: 99, query_token_id: '[unused5]', attend_to_mask_tokens: true } }, file: 'artifact.metadata' };
    const r = resolveColbertSettings({ documentLength: 77 }, pylate, stanford);
    expect(r).toMatchObject({ queryLength: 20, queryMarker: '[Q] ', documentLength: 77, attendToExpansion: true, documentMarker: '[unused1]' });
    expect(resolveColbertSettings(undefined, undefined, stanford)).toMatchObject({ queryLength: 40, documentLength: 99, queryMarker: '[unused5]' });
    expect(resolveColbertSettings(undefined, undefined, undefined)).toEqual(COLBERT_DEFAULTS);
    expect(resolveColbertSettings(undefined, { cfg: { query_prefix: '' }, file: 'x' }, undefined).queryMarker).toBeNull();
  });

  it('explains what is wrong with invalid folders', async () => {
    expect((await errorOf(loadModelSpec('/does/not/exist'))).code).toBe('MODEL_NOT_FOUND');
    const empty = copyFixture(fixtures.stanford, () => false);
    expect((await errorOf(loadModelSpec(empty))).message).toMatch(/no modules\.json or config\.json/);

    const plainBert = copyFixture(fixtures.stanford);
    const cfg = JSON.parse(readFileSync(join(plainBert, 'config.json'), 'utf8'));
    cfg.architectures = ['BertModel'];
    writeFileSync(join(plainBert, 'config.json'), JSON.stringify(cfg));
    expect((await errorOf(loadModelSpec(plainBert))).message).toMatch(/expected a Stanford ColBERT/);

    const badDense = copyFixture(fixtures.pylate);
    writeFileSync(join(badDense, '2_Dense', 'config.json'), JSON.stringify({ in_features: 48, out_features: 99, bias: false }));
    const e = await errorOf(loadModelSpec(badDense));
    expect(e.message).toMatch(/2_Dense.*out_features=99/);

    const badJson = copyFixture(fixtures.pylate);
    writeFileSync(join(badJson, 'config_sentence_transformers.json'), '{ nope');
    expect((await errorOf(loadModelSpec(badJson))).code).toBe('CORRUPT_FILE');

    const badField = copyFixture(fixtures.pylate);
    writeFileSync(join(badField, 'config_sentence_transformers.json'), JSON.stringify({ query_length: 'long' }));
    const f = await errorOf(loadModelSpec(badField));
    expect(f.message).toMatch(/"query_length" must be a positive integer/);
    expect(f.details?.field).toBe('query_length');

    const noWeights = copyFixture(fixtures.stanford);
    rmSync(join(noWeights, 'model.safetensors'));
    expect((await errorOf(loadModelSpec(noWeights))).message).toMatch(/projection lives there/);
  });
});
