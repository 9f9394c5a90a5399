import { describe, expect, it } from 'vitest';
import { runDeviceLoops } from '../src/batching/device-loops.js';

/** A gate a test opens: `wait` settles once `open()` was called. */
function gate() {
  let open!: () => void;
  const wait = new Promise<void>((r) => (open = r));
  return { wait, open };
}

describe('runDeviceLoops', () => {
  it('hands work that arrives later to a device that found the queue empty', async () => {
    const queue = ['b1'];
    const ran: Array<[string, string]> = [];
    const held = gate();
    const started = gate();
    const run = runDeviceLoops({
      devices: ['A', 'B'],
      next: () => queue.shift(),
      start: async (device, batch) => {
        ran.push([device, batch]);
        if (batch === 'b1') {
          started.open();
          await held.wait;
        }
        return batch;
      },
      finish: () => undefined,
    });
    // A holds b1; B found nothing. Two batches arrive while A is busy.
    await started.wait;
    queue.push('b2', 'b3');
    held.open();
    await run;
    expect(ran.map((r) => r[1]).sort()).toEqual(['b1', 'b2', 'b3']);
    expect(new Set(ran.map((r) => r[0]))).toEqual(new Set(['A', 'B']));
  });

  it('routes each failed batch to onError with that batch, on any device, and runs the rest', async () => {
    const queue = Array.from({ length: 20 }, (_, i) => i);
    const finished: number[] = [];
    const failed: number[] = [];
    const byDevice = new Map<number, string>();
    await runDeviceLoops({
      devices: ['good', 'bad'],
      next: () => queue.shift(),
      start: async (device, batch) => {
        byDevice.set(batch, device);
        await new Promise((r) => setImmediate(r));
        if (device === 'bad') throw new Error(`bad device on ${batch}`);
        return batch * 10;
      },
      finish: (_d, batch, result) => {
        expect(result).toBe(batch * 10);
        finished.push(batch);
      },
      onError: (e, batch) => {
        expect((e as Error).message).toBe(`bad device on ${batch}`);
        failed.push(batch);
      },
    });
    expect([...finished, ...failed].sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(failed.length).toBeGreaterThan(0);
    for (const b of failed) expect(byDevice.get(b)).toBe('bad');
    for (const b of finished) expect(byDevice.get(b)).toBe('good');
  });

  it('without onError, throws the first failure and stops pulling', async () => {
    const queue = Array.from({ length: 50 }, (_, i) => i);
    const run = runDeviceLoops({
      devices: ['only'],
      next: () => queue.shift(),
      start: async (_d, batch) => {
        if (batch === 3) throw new Error('planted');
        return batch;
      },
      finish: () => undefined,
    });
    await expect(run).rejects.toThrow('planted');
    // Pipelined: at most the batch after the failing one was pulled.
    expect(queue.length).toBeGreaterThanOrEqual(45);
  });
});
