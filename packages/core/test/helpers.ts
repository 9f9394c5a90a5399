import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Backend } from '../src/index.js';

/** A writable copy of a fixture folder, for tests that break it. */
export function copyFixture(src: string, filter?: (path: string) => boolean): string {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-test-'));
  cpSync(src, dir, { recursive: true, filter: filter ?? (() => true) });
  return dir;
}

export { errorOf } from '../src/testing/errors.js';

/** Rows that depend on each token and its position: distinct texts get distinct vectors. */
export const hashed: Backend = {
  name: 'hashed',
  priority: 0,
  devices: async () => [{ id: 'cpu', kind: 'cpu', available: true }],
  load: async (spec) => ({
    device: 'cpu',
    engine: 'hashed',
    forward: async (b) => {
      const dim = spec.outputDim;
      const data = new Float32Array(b.batchSize * b.seqLen * dim);
      for (let i = 0; i < b.batchSize * b.seqLen; i++) {
        const id = b.inputIds[i]!;
        for (let c = 0; c < dim; c++) data[i * dim + c] = Math.sin(id * 12.9898 + c * 78.233 + (i % b.seqLen) * 0.37);
      }
      return { data, batchSize: b.batchSize, seqLen: b.seqLen, dim };
    },
    dispose: async () => undefined,
  }),
};
