import { describe, expect, it } from 'vitest';
import { Tessera, type PaddedBatch } from '@tessera/core';
import { fakeDevicesBackend } from '@tessera/core/testing';
import { fixtures } from '@tessera/fixtures';
import { createServer } from '../src/index.js';
import { open, post, testBackend, until } from './helpers.js';

/** Each row's real token ids, joined: what a batch held, comparable with prepare()'s ids. */
function rowsOf(b: PaddedBatch): string[] {
  return Array.from({ length: b.batchSize }, (_, r) => {
    const ids: number[] = [];
    for (let p = 0; p < b.seqLen; p++) if (b.attentionMask[r * b.seqLen + p]) ids.push(b.inputIds[r * b.seqLen + p]!);
    return ids.join(',');
  });
}

const WORDS = [
  'apple',
  'river',
  'stone',
  'cloud',
  'paper',
  'music',
  'green',
  'light',
  'table',
  'water',
  'house',
  'night',
];

describe('a device pool where one device fails', () => {
  it('fails exactly the requests whose batch ran on the failing device, and answers every other one', async () => {
    const seen = new Map<string, string>();
    const first: { held: boolean; open: () => void } = { held: false, open: () => undefined };
    const gate = new Promise<void>((r) => (first.open = r));
    const backend = fakeDevicesBackend('pool-one-fails', {
      // cuda:0 holds its first batch until several requests wait, so that cuda:1 takes some of them.
      hang: (device) => {
        if (device !== 'cuda:0' || !first.held) return undefined;
        first.held = false;
        return gate;
      },
      fail: (device, batch) => {
        for (const row of rowsOf(batch)) seen.set(row, device);
        return device === 'cuda:1' ? new Error('cuda:1: device lost (planted)') : undefined;
      },
    });
    const t = await Tessera.create({
      model: fixtures.pylate,
      backend,
      devices: ['cuda:0', 'cuda:1'],
      batch: { maxBatchSize: 1 },
    });
    const direct = await Tessera.create({ model: fixtures.pylate, backend, device: 'cuda:0' });
    const server = await createServer({ models: [t] });
    const base = await server.listen({ port: 0 });
    try {
      const texts = WORDS.map((w, i) => `${w} number ${i}`);
      // The rows one device returns, before the pool runs (the fake's record is of the pool's batches).
      const want = await direct.encodeDocuments(texts);
      seen.clear();
      first.held = true;
      const answers = texts.map((input) => post(base, '/v1/multi-vector', { input }));
      await until(
        async () =>
          ((await server.metrics.queueSize.get()).values.find((v) => v.labels.role === 'document')?.value ?? 0) >= 4,
      );
      first.open();
      const got = await Promise.all(answers);
      const items = await t.prepare(texts, 'document');
      const devices = new Set<string>();
      got.forEach((r, i) => {
        const device = seen.get(items[i]!.ids.join(','));
        expect(device, texts[i]).toBeDefined();
        devices.add(device!);
        if (device === 'cuda:1') {
          expect(r.status, texts[i]).toBe(500);
          expect(r.body).toMatchObject({ error_type: 'backend' });
          expect(r.body.error).toMatch(/cuda:1: device lost/);
        } else {
          expect(r.status, `${texts[i]}: ${JSON.stringify(r.body).slice(0, 300)}`).toBe(200);
          expect(r.body.data[0].embeddings.flat()).toEqual(Array.from(want[i]!.data).map((x) => expect.closeTo(x, 5)));
        }
      });
      expect(devices).toEqual(new Set(['cuda:0', 'cuda:1']));
      await until(async () => (await server.metrics.inFlight.get()).values[0]?.value === 0);
    } finally {
      first.open();
      await server.close();
      await t.dispose();
      await direct.dispose();
    }
  });
});

describe('the request timeout', () => {
  it('answers 504 to requests behind a hung forward pass, frees their slots, and serves again after', async () => {
    const { backend, state, hold } = testBackend('hung');
    const t = await open(fixtures.pylate, backend);
    const server = await createServer({ models: [t], limits: { requestTimeoutMs: 300 } });
    const base = await server.listen({ port: 0 });
    const release = hold();
    try {
      const [stuck, behind] = await Promise.all([
        post(base, '/v1/multi-vector', { input: 'held in the engine' }),
        post(base, '/v1/embeddings', { input: 'waits behind it', return_multivector: true }),
      ]);
      expect(state.batches.length).toBeGreaterThanOrEqual(1);
      expect(stuck.status).toBe(504);
      expect(stuck.body).toEqual({
        error: expect.stringMatching(/request timeout \(0.3 s, --request-timeout\)/),
        error_type: 'timeout',
      });
      expect(behind.status).toBe(504);
      expect(behind.body.error).toMatchObject({ type: 'timeout', message: expect.stringMatching(/--request-timeout/) });
      // Both slots are free while the forward pass is still held.
      await until(async () => (await server.metrics.inFlight.get()).values[0]?.value === 0);
      const metrics = await fetch(`${base}/metrics`).then((r) => r.text());
      expect(metrics).toMatch(/tessera_failures_total\{kind="timeout"\} 2/);
      release();
      const after = await post(base, '/v1/multi-vector', { input: 'after the engine came back' });
      expect(after.status).toBe(200);
    } finally {
      release();
      await server.close();
      await t.dispose();
    }
  });
});
