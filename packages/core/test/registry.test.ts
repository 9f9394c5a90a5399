import { describe, expect, it } from 'vitest';
import {
  defaultModel,
  findModel,
  listModels,
  loadBackends,
  registerBackend,
  getBackend,
  resolveAutoBackend,
  resolveBackend,
  unregisterBackend,
} from '../src/index.js';
import { parseRegistry, selectFiles } from '../src/backend-kit.js';
import type { RepoFiles } from '../src/backend/types.js';
import { errorOf } from './helpers.js';

describe('model registry', () => {
  it('validates the bundled registry and keeps its order', () => {
    const ids = listModels().map((m) => m.id);
    expect(ids).toEqual([
      'answerai-colbert-small-v1',
      'colbertv2.0',
      'mxbai-colbert-large-v1',
      'GTE-ModernColBERT-v1',
      'jina-colbert-v2',
      'bge-small-en-v1.5',
      'all-MiniLM-L6-v2',
      'bge-base-en-v1.5',
    ]);
    expect(defaultModel().id).toBe('answerai-colbert-small-v1');
    expect(findModel('colbertv2.0')!.repo).toBe('colbert-ir/colbertv2.0');
    expect(findModel('colbert-ir/colbertv2.0')).toBeUndefined();
  });

  it('rejects bad entries naming the field', async () => {
    const base = listModels()[0]!;
    const e = await errorOf(() => parseRegistry({ models: [{ ...base, dimension: -1 }] }, 'x.json'));
    expect(e.message).toMatch(/x\.json: models\.0\.dimension/);
    expect((await errorOf(() => parseRegistry({ models: [base, base] }))).message).toMatch(/duplicate model id/);
    expect((await errorOf(() => parseRegistry({ models: [{ ...base, dimensions: [32] }] }))).message).toMatch(
      /dimensions must include dimension/,
    );
    // A key Object.prototype holds is no field.
    expect(
      (
        await errorOf(() =>
          parseRegistry(JSON.parse(`{"models": [${JSON.stringify(base).slice(0, -1)}, "constructor": 1}]}`)),
        )
      ).message,
    ).toMatch(/models\.0\.constructor: unrecognized key/);
  });
});

describe('backend registry', () => {
  it('names installed backends and the install command for a missing one', async () => {
    const e = await errorOf(getBackend('tfjs-not-here'));
    expect(e.code).toBe('BACKEND_NOT_INSTALLED');
    expect(e.message).toMatch(/npm i @tessera\/backend-onnx/);
  });

  it('picks the highest priority installed backend for auto', async () => {
    const fake = (name: string, priority: number) => ({
      name,
      priority,
      devices: async () => [],
      load: async () => Promise.reject(new Error('unused')),
    });
    registerBackend(fake('zz-low', 1000));
    registerBackend(fake('zz-high', 2000));
    expect((await resolveBackend('auto')).name).toBe('zz-high');
    unregisterBackend('zz-high');
    unregisterBackend('zz-low');
  });

  it('refuses a different backend under a name another one holds, and takes the same one again', async () => {
    const fake = (priority: number) => ({
      name: 'zz-dup',
      priority,
      devices: async () => [],
      load: async () => Promise.reject(new Error('unused')),
    });
    const first = fake(1);
    registerBackend(first);
    registerBackend(first);
    const e = await errorOf(() => registerBackend(fake(2)));
    expect(e.code).toBe('BACKEND_CONFLICT');
    expect(e.message).toMatch(
      /a different backend is already registered as "zz-dup" \(priority 1\); call unregisterBackend\("zz-dup"\) first/,
    );
    expect((await errorOf(() => registerBackend({ name: 'zz-dup', priority: 3, load: async () => first }))).code).toBe(
      'BACKEND_CONFLICT',
    );
    expect(await getBackend('zz-dup')).toBe(first);
    unregisterBackend('zz-dup');
    const second = fake(2);
    registerBackend(second);
    expect(await getBackend('zz-dup')).toBe(second);
    unregisterBackend('zz-dup');
  });

  it("says, for 'auto', which installed backend failed to load and why", async () => {
    registerBackend({
      name: 'zz-broken',
      priority: 5000,
      packageName: 'zz-broken-pkg',
      load: async () => Promise.reject(new Error('libonnxruntime.so.1: cannot open shared object file')),
    });
    try {
      const choice = await resolveAutoBackend();
      expect(choice.backend.name).not.toBe('zz-broken');
      expect(choice.broken).toEqual([
        expect.objectContaining({
          name: 'zz-broken',
          packageName: 'zz-broken-pkg',
          code: 'BACKEND_FAILED',
          message: expect.stringMatching(
            /backend "zz-broken" failed to load: libonnxruntime\.so\.1: cannot open shared object file/,
          ),
        }),
      ]);
      const { problems } = await loadBackends();
      expect(problems.map((p) => p.name)).toContain('zz-broken');
    } finally {
      unregisterBackend('zz-broken');
    }
  });
});

describe('hub file selection', () => {
  const repo = [
    '.gitattributes',
    'README.md',
    'config.json',
    'tokenizer.json',
    'vocab.txt',
    'model.safetensors',
    'pytorch_model.bin',
    'onnx/model.onnx',
    'onnx/model_quantized.onnx',
    'modules.json',
    '1_Dense/config.json',
    '1_Dense/model.safetensors',
    'config_sentence_transformers.json',
  ];
  it('takes the configs, tokenizer, projection and only the weights the backend needs', () => {
    // A backend that loads a graph names it; core adds what every backend needs.
    const onnx = (r: RepoFiles) => [r.dtype === 'q8' ? 'onnx/model_quantized.onnx' : 'onnx/model.onnx'];
    expect(selectFiles(repo, onnx)).toEqual([
      '1_Dense/config.json',
      '1_Dense/model.safetensors',
      'config.json',
      'config_sentence_transformers.json',
      'modules.json',
      'onnx/model.onnx',
      'tokenizer.json',
      'vocab.txt',
    ]);
    // A backend without files() gets the safetensors weights.
    expect(selectFiles(repo)).toContain('model.safetensors');
    expect(selectFiles(repo)).not.toContain('onnx/model.onnx');
    expect(selectFiles(repo, onnx, 'q8')).toContain('onnx/model_quantized.onnx');
    expect(selectFiles(repo, onnx, 'q8')).not.toContain('onnx/model.onnx');
    // A backend's own format, and a file the repo lacks named in the error.
    expect(selectFiles([...repo, 'weights.custom'], () => ['weights.custom'])).toContain('weights.custom');
    expect(() => selectFiles(repo, () => ['weights.custom'])).toThrow(
      /asked for weights.custom, which the repo does not have/,
    );
  });
});
