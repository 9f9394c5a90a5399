import { BACKEND_CONTRACT } from '@tessera/core/backend';
// The ONNX backend behind a gate the test drives through files, for tests that must stop the CLI
// while it is mid-run, whatever the machine's speed. Named on the command line by its path
// (`--backend /abs/path/gated-backend.mjs`). In TESSERA_TEST_GATE (a folder):
//   hold     while it exists, every forward pass waits;
//   after    a number N: a forward pass that would take the texts forwarded past N waits for ever;
//   blocked  written by the backend when a forward pass starts waiting.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { backend as onnx } from '@tessera/backend-onnx';

const dir = process.env.TESSERA_TEST_GATE;
const after = dir && existsSync(join(dir, 'after')) ? Number(readFileSync(join(dir, 'after'), 'utf8')) : Infinity;
let texts = 0;

async function gate(batchSize) {
  if (!dir) return;
  const waits = () => existsSync(join(dir, 'hold')) || texts + batchSize > after;
  if (waits()) {
    writeFileSync(join(dir, 'blocked'), String(texts));
    while (waits()) await new Promise((r) => setTimeout(r, 10));
  }
  texts += batchSize;
}

export const backend = {
  name: 'gated',
  priority: 0,
  contract: BACKEND_CONTRACT,
  devices: () => onnx.devices(),
  async load(spec, options) {
    const m = await onnx.load(spec, options);
    return {
      device: m.device,
      engine: `${m.engine} (gated)`,
      async forward(batch) {
        await gate(batch.batchSize);
        return m.forward(batch);
      },
      dispose: () => m.dispose(),
    };
  },
};
