import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Tessera, isTesseraError } from '@tessera/core';
import { decodeRows, readCodec } from '@tessera/core/store';
import { backend as onnx } from '@tessera/backend-onnx';
import { fixtures } from '@tessera/fixtures';
import { enqueueIndex, openStoreWith, runStatus, startWorkers } from '../src/index.js';
import { startTestRedis, type TestRedis } from '../src/testing.js';
import { storeAt } from './memory-store-package.js';

const STORE = fileURLToPath(new URL('./memory-store-package.ts', import.meta.url));
let redis: TestRedis;
beforeAll(async () => {
  redis = await startTestRedis();
});
afterAll(() => redis?.stop());

/** Waits on the run's state; the limit is for a hang, with what never happened. */
async function finished(run: { run: string; shards: number }): Promise<void> {
  const started = Date.now();
  for (;;) {
    const s = await runStatus(redis.url, { run: run.run });
    if (s.failed) throw new Error(`a shard failed: ${JSON.stringify(s.failures)}`);
    if (s.done === run.shards) return;
    if (Date.now() - started > 240_000) throw new Error(`after 240 s, ${s.done} of ${run.shards} shards done: a hang`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('the queue with a store package other than LanceDB', () => {
  it('writes every shard through core’s Store interface into the store the run names', async () => {
    const t = await Tessera.create({ model: fixtures.pylate, backend: onnx, device: 'cpu', threads: 1 });
    const input = join(mkdtempSync(join(tmpdir(), 'tessera-qstore-')), 'c.jsonl');
    const texts = Array.from({ length: 25 }, (_, i) => `document number ${i} about ${'ships '.repeat(i % 4)}`);
    writeFileSync(input, `${texts.map((text, i) => JSON.stringify({ id: `d${i}`, text })).join('\n')}\n`);
    const to = 'memory://queue-test';
    const workers = await startWorkers({ queue: redis.url, backend: onnx, threads: 1 });
    try {
      const run = await enqueueIndex(t, { queue: redis.url, input, to, store: STORE, shardSize: 10 });
      expect(run.shards).toBe(3);
      await finished(run);
    } finally {
      await workers.close();
    }
    const store = storeAt(to)!;
    expect(await store.count()).toBe(25);
    expect((await store.readManifest())?.dimension).toBe(t.dimension);
    const want = await t.encodeDocuments([texts[7]!]);
    for await (const e of store.entries()) expect(e.id).toMatch(/^d\d+$/);
    const hits = await store.search({ rows: want[0]!.rows, dim: want[0]!.dim, data: want[0]!.data }, { limit: 1 });
    expect(hits[0]!.id).toBe('d7');
    await t.dispose();
  });

  it('indexes a compressed-only run: the producer trains the codec before queueing, the workers write codes against it', async () => {
    const t = await Tessera.create({ model: fixtures.pylate, backend: onnx, device: 'cpu', threads: 1 });
    const input = join(mkdtempSync(join(tmpdir(), 'tessera-qcodes-')), 'c.jsonl');
    const texts = Array.from(
      { length: 30 },
      (_, i) => `note ${i}: ${['harbour', 'violin', 'granite', 'orchard'][i % 4]} ${i * 7}`,
    );
    writeFileSync(input, `${texts.map((text, i) => JSON.stringify({ id: `d${i}`, text })).join('\n')}\n`);
    const to = 'memory://queue-codes';
    const workers = await startWorkers({ queue: redis.url, backend: onnx, threads: 1 });
    try {
      const run = await enqueueIndex(t, {
        queue: redis.url,
        input,
        to,
        store: STORE,
        shardSize: 10,
        vectors: false,
        codec: { trainDocuments: 12, centroids: 16 },
      });
      // The codec is there before any worker writes.
      expect(await readCodec(storeAt(to)!)).toMatchObject({ k: 16, dim: t.dimension });
      await finished(run);
    } finally {
      await workers.close();
    }
    const store = storeAt(to)!;
    const codec = (await readCodec(store))!;
    expect((await store.readManifest())?.vectors).toBe(false);
    const encoded = await t.encodeDocuments(texts);
    let docs = 0;
    for await (const d of store.documents()) {
      docs++;
      expect(d.vectors.rows).toBe(0);
      // Decoded against the producer's codec, the worker's codes give back the model's rows closely.
      const want = encoded[Number(d.id.slice(1))]!;
      const back = decodeRows(d.codes!, codec, d.id);
      expect(back.rows).toBe(want.rows);
      let cos = 0;
      for (let i = 0; i < back.rows * back.dim; i++) cos += back.data[i]! * want.data[i]!;
      expect(cos / back.rows).toBeGreaterThan(0.85);
    }
    expect(docs).toBe(30);
    expect(await t.updateSearchIndex(store)).toMatchObject({ mode: 'built', documents: 30, centroids: 16 });
    const report = await t.searchReport(store, texts[9]!, { topK: 1 });
    expect(report).toMatchObject({ path: 'index', scores: 'decompressed' });
    expect(report.results[0]!.id).toBe('d9');
    await t.dispose();
  });

  it('says which store package cannot be loaded, or does not export openStore', async () => {
    const missing = await openStoreWith('@tessera/store-nowhere', 'x').catch((e: unknown) => e);
    expect(isTesseraError(missing, 'STORE_FAILED')).toBe(true);
    expect((missing as Error).message).toMatch(/store package @tessera\/store-nowhere cannot be loaded/);
    const notAStore = await openStoreWith(fileURLToPath(new URL('../src/run.ts', import.meta.url)), 'x').catch(
      (e: unknown) => e,
    );
    expect((notAStore as Error).message).toMatch(/does not export openStore\(location\)/);
  });
});
