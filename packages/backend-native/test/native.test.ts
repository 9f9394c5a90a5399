import { describe, expect, it } from 'vitest';
import { Tessera, loadModelSpec } from '@tessera/core';
import { readEncoderWeights } from '@tessera/core/backend';
import { maxAbsDiffArrays, readGolden, type ColbertGolden } from '@tessera/core/conformance';
import { fixtures } from '@tessera/fixtures';
import { backend, loadAddon } from '../src/index.js';
import { reportMissingAddon } from './missing-addon.js';

const { addon, error } = loadAddon();

if (!addon) reportMissingAddon('native addon behaviour', error);

describe.runIf(!!addon)('native addon behaviour', () => {
  it('survives many concurrent encode calls without mixing results', async () => {
    const t = await Tessera.create({ model: fixtures.pylate, backend, device: 'cpu', threads: 2 });
    const texts = Array.from({ length: 48 }, (_, i) => `document number ${i} ${'with more words '.repeat(i % 7)}`);
    const reference = await t.encodeDocuments(texts, { maxBatchSize: 1 });
    const runs = await Promise.all(
      Array.from({ length: 24 }, (_, k) => t.encodeDocuments(texts.slice(k, k + 20), { maxBatchSize: 3 })),
    );
    runs.forEach((r, k) =>
      r.forEach((x, i) => expect(maxAbsDiffArrays(x.data, reference[k + i]!.data)).toBeLessThan(1e-5)),
    );
    await t.dispose();
  });

  it('keeps the event loop free while a forward pass runs', async () => {
    const spec = await loadModelSpec(fixtures.stanford);
    const desc = await readEncoderWeights(spec, 'native');
    const handle = new addon!.NativeEncoder(desc.config, desc.weights, [], 'cpu');
    const B = 32;
    const L = 128;
    const ids = new Int32Array(B * L).fill(2000);
    // A timer due now fires before the forward pass resolves only if the pass runs off the event
    // loop: a blocking call would return a settled promise before any timer could run.
    let fired = false;
    const timer = setTimeout(() => (fired = true), 0);
    const out = await handle.forward(ids, new Int32Array(B * L).fill(1), new Int32Array(B * L), B, L);
    clearTimeout(timer);
    expect(out.data.length).toBe(B * L * 32);
    expect(fired).toBe(true);
    handle.dispose();
  });

  it('turns C++ exceptions into JS errors', async () => {
    const spec = await loadModelSpec(fixtures.stanford);
    const desc = await readEncoderWeights(spec, 'native');
    const handle = new addon!.NativeEncoder(desc.config, desc.weights, [], 'cpu');
    const L = 600; // beyond the 512 position embeddings
    const ids = new Int32Array(L).fill(1000);
    await expect(handle.forward(ids, new Int32Array(L).fill(1), new Int32Array(L), 1, L)).rejects.toThrow(
      /longer than the model's position embeddings/,
    );
    expect(() => handle.forward(ids, new Int32Array(3), new Int32Array(L), 1, L)).toThrow(
      /attentionMask does not hold batch x seq values/,
    );
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
    const t = await Tessera.create({
      model: fixtures.stanford,
      backend,
      device: 'cuda',
      onWarning: (w) => warnings.push(w),
    });
    expect(t.device).toBe('cpu');
    expect(warnings.join()).toMatch(/falling back to cpu/);
    await t.dispose();
    await expect(Tessera.create({ model: fixtures.stanford, backend, device: 'cuda', strict: true })).rejects.toThrow(
      /cuda/,
    );
  });

  it('refuses architectures it does not implement, naming them', async () => {
    const spec = await loadModelSpec(fixtures.stanford);
    await expect(readEncoderWeights({ ...spec, modelType: 'gpt2' }, 'native')).rejects.toThrow(
      /model_type "gpt2" is not supported by the native backend/,
    );
  });

  it("counts RoBERTa's padding offset when checking positions", async () => {
    // The fixture pads with id 0: positions run 1..L, so 513 tokens fit the 514 positions and 514 do not.
    const spec = await loadModelSpec(fixtures.roberta);
    const desc = await readEncoderWeights(spec, 'native');
    const handle = new addon!.NativeEncoder(desc.config, desc.weights, [], 'cpu');
    const run = (L: number) =>
      handle.forward(new Int32Array(L).fill(1000), new Int32Array(L).fill(1), new Int32Array(L), 1, L);
    await expect(run(513)).resolves.toMatchObject({ dim: 32 });
    await expect(run(514)).rejects.toThrow(
      /514 tokens is longer than the model's position embeddings allow \(514 positions, padding offset 1\)/,
    );
    handle.dispose();
  });

  it('runs bf16 where libtorch can, close to fp32, and refuses fp16 on the cpu with the reason', async () => {
    const golden = readGolden<ColbertGolden>(fixtures.modernbert);
    const texts = golden.documents.map((d) => d.text);
    if (addon!.dtypeSupport('cpu', 'fp16')) {
      const e = await Tessera.create({ model: fixtures.modernbert, backend, device: 'cpu', dtype: 'fp16' }).catch(
        (x: Error) => x,
      );
      expect(String(e)).toMatch(/dtype fp16 does not run on cpu with this libtorch \(.*Half.*\); use fp32, or a GPU/);
    }
    await expect(Tessera.create({ model: fixtures.modernbert, backend, device: 'cpu', dtype: 'q8' })).rejects.toThrow(
      /dtype "q8" is not one the native backend runs \(fp32, fp16, bf16\)/,
    );
    if (addon!.dtypeSupport('cpu', 'bf16')) {
      await expect(
        Tessera.create({ model: fixtures.modernbert, backend, device: 'cpu', dtype: 'bf16' }),
      ).rejects.toThrow(/dtype bf16 does not run on cpu/);
      return;
    }
    const bf16 = await Tessera.create({ model: fixtures.modernbert, backend, device: 'cpu', dtype: 'bf16' });
    expect(bf16.engine).toMatch(/bf16/);
    const a = await bf16.encodeDocuments(texts);
    a.forEach((d, i) => {
      const want = golden.documents[i]!.embeddings;
      expect(d.rows).toBe(want.length);
      let cos = 0;
      want.forEach((row, r) => row.forEach((v, j) => (cos += v * d.data[r * d.dim + j]!)));
      // bf16 keeps 8 bits of mantissa: rows agree in direction, not to 1e-4.
      expect(cos / want.length).toBeGreaterThan(0.99);
    });
    await bf16.dispose();
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
