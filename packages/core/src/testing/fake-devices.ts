import { BACKEND_CONTRACT } from '../backend/contract.js';
import type { Backend, PaddedBatch } from '../backend/types.js';

export interface FakeDevicesOptions {
  /** Accelerators it offers besides the CPU (default: cuda:0 and cuda:1). */
  devices?: string[];
  /** ms each forward pass takes, as on a GPU (default 5). */
  delayMs?: number;
  /** Makes a forward pass fail: return an error to throw for this device and batch, or undefined. */
  fail?: (device: string, batch: PaddedBatch) => Error | undefined;
  /** Makes a forward pass hang until the returned promise settles (a wedged device). */
  hang?: (device: string, batch: PaddedBatch) => Promise<void> | undefined;
}

/**
 * A backend with several fake accelerators, for tests of a device pool and of what sits on one (a
 * server's batcher): rows depend only on the token ids, so every device returns the same rows,
 * and a test can make any device fail or hang on the batches it picks.
 */
export function fakeDevicesBackend(name: string, o: FakeDevicesOptions = {}): Backend {
  const accelerators = o.devices ?? ['cuda:0', 'cuda:1'];
  return {
    name,
    priority: 0,
    contract: BACKEND_CONTRACT,
    devices: async () => [
      { id: 'cpu', kind: 'cpu', available: true },
      ...accelerators.map((id) => ({ id, kind: 'cuda' as const, available: true })),
    ],
    load: async (spec, load) => ({
      device: load.device,
      engine: `fake ${load.device}`,
      forward: async (b) => {
        await new Promise((r) => setTimeout(r, o.delayMs ?? 5));
        const wedged = o.hang?.(load.device, b);
        if (wedged) await wedged;
        const error = o.fail?.(load.device, b);
        if (error) throw error;
        const dim = spec.outputDim;
        const data = new Float32Array(b.batchSize * b.seqLen * dim);
        for (let i = 0; i < b.batchSize * b.seqLen; i++)
          for (let c = 0; c < dim; c++) data[i * dim + c] = Math.cos(b.inputIds[i]! * 0.7 + c);
        return { data, batchSize: b.batchSize, seqLen: b.seqLen, dim };
      },
      dispose: async () => undefined,
    }),
  };
}
