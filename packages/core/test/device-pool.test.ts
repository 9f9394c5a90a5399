import { describe, expect, it } from 'vitest';
import { fixtures } from '@tessera/fixtures';
import { Tessera, type BatchStats } from '../src/index.js';
import { fakeDevicesBackend } from '../src/testing/index.js';
import { errorOf } from './helpers.js';

/** Two fake accelerators: rows depend on the tokens only, and each forward takes a moment, as on a GPU. */
const twoGpus = fakeDevicesBackend('two-gpus');

const texts = Array.from({ length: 64 }, (_, i) => `text number ${i} ${'word '.repeat(i % 7)}`);

describe('a device pool', () => {
  it('spreads batches over every device and returns what one device returns', async () => {
    const one = await Tessera.create({
      model: fixtures.pylate,
      backend: twoGpus,
      device: 'cuda:0',
      batch: { maxBatchSize: 4 },
    });
    const want = await one.encodeDocuments(texts);
    await one.dispose();
    const pool = await Tessera.create({
      model: fixtures.pylate,
      backend: twoGpus,
      devices: ['cuda:0', 'cuda:1'],
      batch: { maxBatchSize: 4 },
    });
    expect(pool.devices).toEqual(['cuda:0', 'cuda:1']);
    const stats: BatchStats[] = [];
    const got = await pool.encodeDocuments(texts, { onBatch: (s) => stats.push(s) });
    expect(new Set(stats.map((s) => s.device))).toEqual(new Set(['cuda:0', 'cuda:1']));
    expect(stats.reduce((n, s) => n + s.size, 0)).toBe(64);
    got.forEach((g, i) => expect(Array.from(g.data)).toEqual(Array.from(want[i]!.data)));
    await pool.dispose();
  });

  it("takes 'all' available accelerators, and refuses a device listed twice or with device", async () => {
    const all = await Tessera.create({ model: fixtures.pylate, backend: twoGpus, devices: 'all' });
    expect(all.devices).toEqual(['cuda:0', 'cuda:1']);
    await all.dispose();
    expect(
      (await errorOf(Tessera.create({ model: fixtures.pylate, backend: twoGpus, devices: ['cuda:0', 'cuda:0'] })))
        .message,
    ).toMatch(/lists cuda:0 twice/);
    expect(
      (await errorOf(Tessera.create({ model: fixtures.pylate, backend: twoGpus, device: 'cpu', devices: ['cuda:0'] })))
        .message,
    ).toMatch(/device or devices, not both/);
  });
});
