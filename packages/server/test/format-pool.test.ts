import fc from 'fast-check';
import { assertProperty } from '@tessera/fixtures/property';
import { afterAll, describe, expect, it } from 'vitest';
import { FormatPool } from '../src/format-pool.js';
import { floatArrays, jsonBody } from '../src/json-body.js';
import { defaultFormatThreads } from '../src/options.js';

const floatRows = fc.array(fc.float32Array({ minLength: 0, maxLength: 64 }), { maxLength: 6 });
const body = fc.record({
  model: fc.string(),
  data: fc.array(fc.record({ index: fc.nat(), embeddings: floatRows, extra: fc.jsonValue() }), { maxLength: 4 }),
});

describe('FormatPool', () => {
  const pool = new FormatPool(3);
  afterAll(() => pool.close());

  it('writes the bytes the main thread writes, for many bodies in flight at once', async () => {
    const values = fc.sample(body, 300);
    const got = await Promise.all(values.map((v) => pool.format(v)));
    got.forEach((b, i) => expect(b.equals(jsonBody(values[i])), `body ${i}`).toBe(true));
  });

  it('fails a body it cannot hand over with a message, and keeps writing the next', async () => {
    await expect(pool.format({ f: () => 1 })).rejects.toThrow(/could not be cloned/);
    const v = { rows: [Float32Array.of(0.1, -2.5)] };
    expect((await pool.format(v)).toString()).toBe('{"rows":[[0.1,-2.5]]}');
  });

  it('replaces a thread that died: its bodies fail, the others and the next are written', async () => {
    const threads = (pool as unknown as { threads: Array<{ worker: { terminate(): Promise<number> } }> }).threads;
    const big = {
      rows: Array.from({ length: 200 }, (_, r) => Float32Array.from({ length: 96 }, (_, i) => Math.sin(r + i))),
    };
    const inFlight = Array.from({ length: 6 }, () =>
      pool.format(big).then(
        (b) => b.equals(jsonBody(big)),
        (e: Error) => e.message,
      ),
    );
    await threads[0]!.worker.terminate();
    const outcomes = await Promise.all(inFlight);
    for (const o of outcomes) expect(o === true || /a formatting thread exited/.test(String(o)), String(o)).toBe(true);
    expect(outcomes).toContain(true);
    expect(outcomes.filter((o) => o !== true).length, 'the bodies on the thread that died').toBeGreaterThan(0);
    const again = await Promise.all(Array.from({ length: 6 }, () => pool.format(big)));
    for (const b of again) expect(b.equals(jsonBody(big))).toBe(true);
  });

  it('refuses work once closed', async () => {
    const p = new FormatPool(1);
    await p.close();
    await expect(p.format({ a: 1 })).rejects.toThrow(/closed/);
  });
});

describe('defaultFormatThreads', () => {
  it('starts none when every model runs on the CPU, a quarter of the cores (1 to 4) otherwise', () => {
    expect(defaultFormatThreads(['cpu'], 64)).toBe(0);
    expect(defaultFormatThreads(['cpu', 'cpu'], 16)).toBe(0);
    expect(defaultFormatThreads(['cuda:0'], 2)).toBe(1);
    expect(defaultFormatThreads(['cpu', 'cuda:0'], 8)).toBe(2);
    expect(defaultFormatThreads(['cuda:0', 'cuda:1'], 16)).toBe(4);
    expect(defaultFormatThreads(['cuda:0'], 128)).toBe(4);
  });
});

describe('FormatPool.formatRows', () => {
  const pool = new FormatPool(3);
  afterAll(() => pool.close());

  it('writes each row on the threads at once, and the body built from them is the body the main thread writes', async () => {
    await assertProperty(
      fc.asyncProperty(body, async (v) => {
        const rows = floatArrays(v);
        const written = await pool.formatRows(rows);
        for (const r of rows) expect(Buffer.from(written.get(r)!).toString()).toBe(jsonBody(r).toString());
        return jsonBody(v, written).equals(jsonBody(v));
      }),
      { minRuns: 40, maxRuns: 200, seconds: 5 },
    );
  });

  it('gives every thread and the caller a share of a big body', async () => {
    const rows = Array.from({ length: 90 }, (_, r) =>
      Float32Array.from({ length: 96 }, (_, i) => Math.cos(r * 96 + i) / 5),
    );
    const sent: number[] = [];
    const threads = (
      pool as unknown as {
        threads: Array<{ worker: { postMessage(m: { lengths?: Int32Array }, transfer: ArrayBuffer[]): void } }>;
      }
    ).threads;
    for (const t of threads) {
      const post = t.worker.postMessage.bind(t.worker);
      t.worker.postMessage = (m, transfer) => {
        sent.push(m.lengths?.length ?? -1);
        post(m, transfer);
      };
    }
    const written = await pool.formatRows(rows);
    // 90 rows in four shares: the caller writes the first 23, the threads 22, 23 and 22.
    expect(sent).toEqual([22, 23, 22]);
    expect(jsonBody({ rows }, written).equals(jsonBody({ rows }))).toBe(true);
  });
});
