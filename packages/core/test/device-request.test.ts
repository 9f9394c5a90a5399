import { describe, expect, it } from 'vitest';
import { parseDevice, type Backend } from '../src/index.js';
import { pickDevice } from '../src/backend-kit.js';

const backend = (devices: Awaited<ReturnType<Backend['devices']>>): Backend => ({
  name: 'b',
  priority: 1,
  devices: async () => devices,
  load: async () => {
    throw new Error('unused');
  },
});

describe('device requests', () => {
  it("'gpu' picks the backend's first available accelerator", async () => {
    expect(parseDevice('gpu')).toBe('gpu');
    const b = backend([
      { id: 'cpu', kind: 'cpu', available: true },
      { id: 'cuda:0', kind: 'cuda', available: false, detail: 'no driver' },
      { id: 'cuda:1', kind: 'cuda', available: true },
    ]);
    expect(await pickDevice(b, 'gpu')).toEqual({ device: 'cuda:1' });
  });

  it("'gpu' without an accelerator falls back to the cpu and says why", async () => {
    const b = backend([
      { id: 'cpu', kind: 'cpu', available: true },
      { id: 'cuda:0', kind: 'cuda', available: false, detail: 'CUDA provider library missing' },
    ]);
    expect(await pickDevice(b, 'gpu')).toEqual({
      device: 'cpu',
      unavailable: 'gpu: backend "b" has no available accelerator (cuda:0: CUDA provider library missing)',
    });
  });

  it('takes coreml and dml, and names the accepted devices for anything else', async () => {
    expect(parseDevice('coreml')).toBe('coreml');
    expect(parseDevice('dml')).toBe('dml');
    expect(() => parseDevice('tpu')).toThrow(
      /unknown device "tpu" \(expected auto, cpu, gpu, cuda, cuda:N, mps, coreml, dml, or in a page wasm or webgpu\)/,
    );
    const b = backend([{ id: 'cpu', kind: 'cpu', available: true }]);
    expect(await pickDevice(b, 'coreml')).toMatchObject({
      device: 'cpu',
      unavailable: expect.stringMatching(/^coreml: backend "b" has no such device/),
    });
  });
});
