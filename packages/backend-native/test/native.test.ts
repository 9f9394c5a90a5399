import { describe, expect, it } from 'vitest';
import { Tessera, loadModelSpec, readEncoderWeights } from '@tessera/core';
import { maxAbsDiffArrays } from '@tessera/core/conformance';
import { fixtures } from '@tessera/fixtures';
import { backend, loadAddon } from '../src/index.js';

const { addon } = loadAddon();

describe.runIf(!!addon)('native addon behaviour', () => {
  it('survives many concurrent encode calls without mixing results', async () => {
    const t = await Tessera.create({ model: fixtures.pylate, backend, device: 'cpu', threads: 2 });
    const texts = Array.from({ length: 48 }, (_, i) => `document number ${i} ${'with more words '.repeat(i % 7)}`);
    const reference = await t.encodeDocuments(texts, { maxBatchSize: 1 });
    const runs = await Promise.all(Array.from({ length: 24 }, (_, k) => t.encodeDocuments(texts.slice(k, k + 20), { maxBatchSize: 3 })));
    runs.forEach((r, k) => r.forEach((x, i) => expect(maxAbsDiffArrays(x.data, reference[k + i]!.data)).toBeLessThan(1e-5)));
    await t.dispose();
  });

  it('keeps the event loop free while a forward pass runs', async () => {
    const t = await Tessera.create({ model: fixtures.stanford, backend, device: 'cpu', threads: 1 });
    const long = Array.from({ length: 64 }, (_, i) => `${'token '.repeat(40)} ${i}`);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const started = Date.now();
    await t.encodeDocuments(long, { maxBatchSize: 64, maxTokens: 1 << 20 });
    const elapsed = Date.now() - started;
    clearInterval(timer);
    // The timer kept firing during the forward pass (a blocked loop would give ~0 ticks).
    if (elapsed > 20) expect(ticks).toBeGreaterThan(2);
    await t.dispose();
  });

  it('turns C++ exceptions into JS errors', async () => {
    const spec = await loadModelSpec(fixtures.stanford);
    const desc = await readEncoderWeights(spec, 'native');
    const handle = new addon!.NativeEncoder(desc.config, desc.weights, [], 'cpu');
    const L = 600; // beyond the 512 position embeddings
    const ids = new Int32Array(L).fill(1000);
    await expect(handle.forward(ids, new Int32Array(L).fill(1), new Int32Array(L), 1, L)).rejects.toThrow(/longer than the model's position embeddings/);
    expect(() => handle.forward(ids, new Int32Array(3), new Int32Array(L), 1, L)).toThrow(/attentionMask does not hold batch x seq values/);
    const broken = { ...desc.weights };
    delete broken['layer.0.q.weight'];
    expect(() => new addon!.NativeEncoder(desc.config, broken, [], 'cpu')).toThrow(/no encoder layers|missing/);
    expect(() => new addon!.NativeEncoder(desc.config, desc.weights, [], 'cuda:7')).toThrow(/cuda:7/);
    handle.dispose();
    expect(() => handle.forward(ids, ids, ids, 1, L)).toThrow(/disposed/);
  });

  it('reports devices and falls back to cpu when CUDA is missing', async () => {
    const devices = await backend.devices();
    expect(devices[0]).toMatchObject({ id: 'cpu', available: true });
    if (devices.some((d) => d.kind === 'cuda' && d.available)) return;
    const warnings: string[] = [];
    const t = await Tessera.create({ model: fixtures.stanford, backend, device: 'cuda', onWarning: (w) => warnings.push(w) });
    expect(t.device).toBe('cpu');
    expect(warnings.join()).toMatch(/falling back to cpu/);
    await t.dispose();
    await expect(Tessera.create({ model: fixtures.stanford, backend, device: 'cuda', strict: true })).rejects.toThrow(/cuda/);
  });

  it('refuses architectures it does not implement, naming them', async () => {
    const spec = await loadModelSpec(fixtures.stanford);
    await expect(readEncoderWeights({ ...spec, modelType: 'modernbert' }, 'native')).rejects.toThrow(/model_type "modernbert" is not supported by the native backend/);
  });
});

describe('OpenBLAS kernel choice', () => {
  it('names the kernel family from the CPU flags unless the user chose one', async () => {
    const { chooseOpenBlasCore } = await import('../src/index.js');
    if (process.platform !== 'linux' || process.arch !== 'x64') return;
    const env: NodeJS.ProcessEnv = {};
    expect(chooseOpenBlasCore(env, 'flags\t\t: fpu sse2 avx2 fma avx512f avx512bw\n')).toBe('SkylakeX');
    expect(env.OPENBLAS_CORETYPE).toBe('SkylakeX');
    expect(chooseOpenBlasCore({}, 'flags\t\t: fpu sse2 avx2 fma\n')).toBe('Haswell');
    expect(chooseOpenBlasCore({}, 'flags\t\t: fpu sse2\n')).toBeUndefined();
    expect(chooseOpenBlasCore({ OPENBLAS_CORETYPE: 'Zen' }, 'flags\t\t: avx2 fma\n')).toBeUndefined();
    expect(chooseOpenBlasCore({ TESSERA_NATIVE_KEEP_OPENBLAS_CORETYPE: '1' }, 'flags\t\t: avx2 fma\n')).toBeUndefined();
  });
});
