import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeSafetensors, loadModelSpec } from '../src/index.js';
import { ASCII_PUNCTUATION } from '../src/backend-kit.js';
import { fixtures, variants } from '@tessera/fixtures';
import { copyFixture, errorOf } from './helpers.js';

/** A key Object.prototype holds, read as a plain key. */
const PROTO = '__proto__';

describe('model folders', () => {
  it('reads the Stanford layout: HF_ColBERT, root linear.weight, artifact.metadata', async () => {
    const s = await loadModelSpec(fixtures.stanford);
    expect(s).toMatchObject({ kind: 'colbert', layout: 'stanford', hiddenSize: 32, outputDim: 24, normalize: true });
    expect(s.projection).toHaveLength(1);
    expect(s.projection[0]!.bias).toBeUndefined();
    expect(s.colbert).toMatchObject({
      markerMode: 'placeholder',
      queryMarker: '[unused0]',
      documentMarker: '[unused1]',
      queryLength: 32,
      documentLength: 48,
      skiplistUnknown: 'encode',
    });
    expect(s.colbert!.queryExpansion).toEqual({ strategy: 'fixed', attend: false, token: null, length: 32 });
    expect(s.onnxFiles).toEqual(['onnx/model.onnx']);
  });

  it("uses colbert-ai's defaults for a Stanford folder without artifact.metadata (documents of 220 tokens)", async () => {
    const s = await loadModelSpec(variants['stanford-defaults']!);
    expect(s.colbert).toMatchObject({
      queryMarker: '[unused0]',
      documentMarker: '[unused1]',
      queryLength: 32,
      documentLength: 220,
    });
    expect(s.notes.join()).toMatch(/no artifact\.metadata/);
  });

  it('reads the PyLate layout: 0_Transformer, Dense layers in order, config_sentence_transformers.json', async () => {
    const s = await loadModelSpec(fixtures.pylate);
    expect(s).toMatchObject({ kind: 'colbert', layout: 'pylate', outputDim: 16 });
    expect(s.transformerDir).toBe(join(fixtures.pylate, '0_Transformer'));
    expect(s.projection.map((l) => [l.inFeatures, l.outFeatures, !!l.bias])).toEqual([
      [32, 48, true],
      [48, 16, false],
    ]);
    expect(s.colbert).toMatchObject({
      markerMode: 'insert',
      queryMarker: '[Q] ',
      documentMarker: '[D] ',
      queryLength: 24,
      documentLength: 40,
      skiplistUnknown: 'unk',
    });
  });

  it('falls back to PyLate\'s own defaults where its config is silent: "[Q] " / "[D] ", 32 / 180 tokens', async () => {
    const s = await loadModelSpec(variants['pylate-defaults']!);
    expect(s.colbert).toMatchObject({
      queryMarker: '[Q] ',
      documentMarker: '[D] ',
      queryLength: 32,
      documentLength: 180,
      skiplistWords: ASCII_PUNCTUATION,
    });
    expect(s.colbert!.queryExpansion).toMatchObject({ length: 32, attend: false });
  });

  it('applies the default prompt to both roles in PyLate folders', async () => {
    const s = await loadModelSpec(variants['pylate-default-prompt']!);
    expect(s.colbert).toMatchObject({ queryPrompt: 'retrieve: ', documentPrompt: 'retrieve: ', queryMarker: '[Q] ' });
  });

  it('reads the sentence-transformers 6 multi-vector format: prompts, query_expansion, the MultiVectorMask skiplist', async () => {
    const s = await loadModelSpec(fixtures.xlmr);
    expect(s).toMatchObject({ kind: 'colbert', layout: 'multi-vector', outputDim: 24, normalize: true });
    expect(s.colbert).toMatchObject({
      markerMode: 'prompt',
      queryMarker: null,
      queryPrompt: '[Q] ',
      documentPrompt: '[D] ',
      documentLength: 40,
      skiplistUnknown: 'drop',
      skiplistRoles: ['document'],
    });
    expect(s.colbert!.queryExpansion).toEqual({ strategy: 'fixed', attend: false, token: null, length: 16 });
    const min = await loadModelSpec(variants['mve-min-expansion']!);
    expect(min.colbert).toMatchObject({ queryLength: 20, skiplistRoles: ['query', 'document'] });
    expect(min.colbert!.queryExpansion).toEqual({ strategy: 'min', attend: true, token: '[MASK]', length: 12 });
  });

  it('loads a Dense with use_residual: identity when widths match, its residual.weight when not', async () => {
    const s = await loadModelSpec(fixtures.xlmr);
    expect(s.projection[0]).toMatchObject({ inFeatures: 32, outFeatures: 24, activation: 'tanh' });
    expect(s.projection[0]!.residual).toBeInstanceOf(Float32Array);
    expect((s.projection[0]!.residual as Float32Array).length).toBe(24 * 32);
    const broken = copyFixture(fixtures.xlmr);
    writeFileSync(
      join(broken, '1_Dense', 'model.safetensors'),
      encodeSafetensors({
        'linear.weight': { dtype: 'F32', shape: [24, 32], data: new Float32Array(768) },
        'linear.bias': { dtype: 'F32', shape: [24], data: new Float32Array(24) },
      }),
    );
    expect((await errorOf(loadModelSpec(broken))).message).toMatch(
      /use_residual=true with 32 -> 24 features, but residual\.weight is missing/,
    );
  });

  it("gives a Dense without activation_function its class's default: Tanh in sentence-transformers, Identity in PyLate", async () => {
    const st = await loadModelSpec(variants['dense-multipool']!);
    expect(st.denseLayers.map((l) => l.activation)).toEqual(['tanh']);
    const pylate = await loadModelSpec(variants['pylate-residual-tanh']!);
    expect(pylate.projection.map((l) => l.activation)).toEqual(['tanh', 'identity']);
  });

  it('reads a sentence-transformers dense folder with pooling and normalize', async () => {
    const s = await loadModelSpec(fixtures.dense);
    expect(s).toMatchObject({
      kind: 'dense',
      layout: 'sentence-transformers',
      pooling: ['mean'],
      normalize: true,
      maxLength: 64,
      outputDim: 32,
      lowercase: false,
    });
    expect(s.colbert).toBeUndefined();
  });

  it('concatenates several pooling modes and reads do_lower_case and prompts', async () => {
    const s = await loadModelSpec(variants['dense-multipool']!);
    expect(s).toMatchObject({
      pooling: ['cls', 'max', 'mean'],
      lowercase: true,
      defaultPromptName: 'query',
      prompts: { query: 'query: ', document: 'passage: ' },
    });
    expect(s.dimensions).toEqual([16]);
    const w = await loadModelSpec(variants['dense-weighted-noprompt']!);
    expect(w).toMatchObject({
      pooling: ['weightedmean', 'mean_sqrt_len_tokens', 'lasttoken'],
      poolingIncludesPrompt: false,
      normalize: false,
    });
  });

  it('loads a ModernBERT folder without reading its weights, so every backend can be asked', async () => {
    const s = await loadModelSpec(fixtures.modernbert);
    expect(s).toMatchObject({ modelType: 'modernbert', layout: 'pylate', positionLimit: 8192, outputDim: 16 });
  });

  it('clamps lengths to the positions the backbone has, RoBERTa padding offset included, and says so', async () => {
    // XLM-RoBERTa: 514 positions, padding id 1, so positions 0 and 1 never hold text.
    const x = await loadModelSpec(fixtures.xlmr, { colbert: { documentLength: 600 } });
    expect(x.positionLimit).toBe(512);
    expect(x.colbert!.documentLength).toBe(512);
    // This RoBERTa fixture pads with id 0, so 513 positions are left for text.
    const s = await loadModelSpec(fixtures.roberta, { colbert: { documentLength: 600, queryLength: 700 } });
    expect(s.positionLimit).toBe(513);
    expect(s.colbert!.documentLength).toBe(513);
    expect(s.colbert!.queryLength).toBe(513);
    expect(s.colbert!.queryExpansion!.length).toBe(513);
    expect(s.notes.join('; ')).toMatch(/document length 600 is longer than the 513 tokens/);
  });

  it("lets the caller's settings win", async () => {
    const s = await loadModelSpec(fixtures.pylate, {
      colbert: { documentLength: 77, attendToExpansion: true, queryLength: 20, skiplistWords: [] },
    });
    expect(s.colbert).toMatchObject({ documentLength: 77, queryLength: 20, skiplistWords: [] });
    expect(s.colbert!.queryExpansion).toMatchObject({ attend: true, length: 20 });
    expect(
      (await loadModelSpec(fixtures.pylate, { colbert: { queryExpansion: false } })).colbert!.queryExpansion,
    ).toBeNull();
    expect((await loadModelSpec(fixtures.pylate, { colbert: { queryMarker: null } })).colbert!.queryMarker).toBeNull();
  });

  it('names an unknown module class, and refuses baked-in token pooling instead of taking it for a dense model', async () => {
    const unknown = copyFixture(fixtures.xlmr);
    const mods = JSON.parse(readFileSync(join(unknown, 'modules.json'), 'utf8'));
    mods[2].type = 'my_package.modules.Fancy';
    writeFileSync(join(unknown, 'modules.json'), JSON.stringify(mods));
    const e = await errorOf(loadModelSpec(unknown));
    expect(e.code).toBe('INVALID_MODEL');
    expect(e.message).toMatch(/module 2 has type my_package\.modules\.Fancy, which Tessera does not know/);

    const pooled = copyFixture(fixtures.xlmr);
    mods[2].type = 'sentence_transformers.multi_vector_encoder.modules.token_pooling.HierarchicalTokenPooling';
    writeFileSync(join(pooled, 'modules.json'), JSON.stringify(mods));
    expect((await errorOf(loadModelSpec(pooled))).message).toMatch(
      /HierarchicalTokenPooling module \(token pooling baked into the checkpoint\) is not supported/,
    );
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
    writeFileSync(
      join(badDense, '2_Dense', 'config.json'),
      JSON.stringify({ in_features: 48, out_features: 99, bias: false }),
    );
    const e = await errorOf(loadModelSpec(badDense));
    expect(e.message).toMatch(/2_Dense.*out_features=99/);

    const badJson = copyFixture(fixtures.pylate);
    writeFileSync(join(badJson, 'config_sentence_transformers.json'), '{ nope');
    expect((await errorOf(loadModelSpec(badJson))).code).toBe('CORRUPT_FILE');

    const badPrompt = copyFixture(fixtures.pylate);
    writeFileSync(
      join(badPrompt, 'config_sentence_transformers.json'),
      JSON.stringify({ prompts: { q: 'x' }, default_prompt_name: 'query' }),
    );
    expect((await errorOf(loadModelSpec(badPrompt))).message).toMatch(
      /default_prompt_name "query" is not one of the prompts \(q\)/,
    );
    // Names Object.prototype holds are not prompts, and "__proto__" is a name like any other.
    writeFileSync(
      join(badPrompt, 'config_sentence_transformers.json'),
      '{"prompts": {"__proto__": "p: ", "q": "x"}, "default_prompt_name": "toString"}',
    );
    expect((await errorOf(loadModelSpec(badPrompt))).message).toMatch(
      /default_prompt_name "toString" is not one of the prompts \(__proto__, q\)/,
    );
    writeFileSync(
      join(badPrompt, 'config_sentence_transformers.json'),
      '{"prompts": {"__proto__": "p: ", "q": "x"}, "default_prompt_name": "__proto__"}',
    );
    const proto = await loadModelSpec(badPrompt);
    expect([proto.defaultPromptName, proto.prompts[PROTO], Object.keys(proto.prompts)]).toEqual([
      '__proto__',
      'p: ',
      ['__proto__', 'q'],
    ]);

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
