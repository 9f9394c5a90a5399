import { describe, expect, it } from 'vitest';
import { Tessera } from '@tessera/core';
import { maxAbsDiff, readGolden, type ColbertGolden } from '@tessera/core/conformance';
import { fixtures } from '@tessera/fixtures';
import { backend, loadEngine } from '../src/index.js';

describe('tfjs engines', () => {
  it('says which engine runs and why the better ones were skipped', async () => {
    const e = await loadEngine(['tfjs-node-gpu', 'tfjs-node', 'wasm', 'cpu'], 2);
    expect(['tfjs-node-gpu', 'tfjs-node', 'wasm', 'cpu']).toContain(e.name);
    if (e.name === 'wasm') {
      expect(e.skipped.join('\n')).toMatch(/tfjs-node: not installed \(npm i @tensorflow\/tfjs-node\)/);
      expect(e.detail).toMatch(/SIMD/);
    }
    const t = await Tessera.create({ model: fixtures.stanford, backend, device: 'cpu' });
    expect(t.engine).toContain(e.name);
    await t.dispose();
  });

  it('matches the reference on the plain CPU backend too', async () => {
    const golden = readGolden<ColbertGolden>(fixtures.pylate);
    const t = await Tessera.create({
      model: fixtures.pylate,
      backend,
      device: 'cpu',
      backendOptions: { engine: 'cpu' },
    });
    expect(t.engine).toMatch(/^cpu/);
    const qs = await t.encodeQueries(golden.queries.map((q) => q.text));
    qs.forEach((q, i) =>
      expect(maxAbsDiff(golden.queries[i]!.embeddings, q.data, golden.dim)).toBeLessThanOrEqual(1e-4),
    );
    await t.dispose();
  });

  it('rejects an unknown engine and falls back from cuda without tfjs-node-gpu', async () => {
    await expect(
      Tessera.create({ model: fixtures.stanford, backend, device: 'cpu', backendOptions: { engine: 'webgpu' } }),
    ).rejects.toThrow(/unknown tfjs engine "webgpu"/);
    const devices = await backend.devices();
    if (devices.find((d) => d.kind === 'cuda')!.available) return;
    expect(devices.find((d) => d.kind === 'cuda')!.detail).toMatch(/tfjs-node-gpu: not installed/);
    const warnings: string[] = [];
    const t = await Tessera.create({
      model: fixtures.stanford,
      backend,
      device: 'cuda',
      onWarning: (w) => warnings.push(w),
    });
    expect(t.device).toBe('cpu');
    expect(warnings.join('\n')).toMatch(/falling back to cpu/);
    await t.dispose();
    await expect(Tessera.create({ model: fixtures.stanford, backend, device: 'cuda', strict: true })).rejects.toThrow(
      /tfjs-node-gpu/,
    );
  });
});

describe('tensor lifetime', () => {
  it('leaves the live tensor count unchanged by encode calls', async () => {
    const e = await loadEngine(['wasm'], 2);
    const t = await Tessera.create({
      model: fixtures.pylate,
      backend,
      device: 'cpu',
      backendOptions: { engine: 'wasm' },
    });
    const texts = ['one', 'a longer text with several more tokens in it', '', 'punctuation!!! ...'];
    await t.encodeDocuments(texts);
    const before = e.tf.memory().numTensors;
    for (let i = 0; i < 25; i++) {
      await t.encodeDocuments(texts, { maxBatchSize: 1 + (i % 4) });
      await t.encodeQueries(texts);
      expect(e.tf.memory().numTensors).toBe(before);
    }
    await t.dispose();
    expect(e.tf.memory().numTensors).toBeLessThan(before);
  });
});
