// Starting inputs: valid files of each format, so that mutations start deep inside the parsers.
import { readFileSync } from 'node:fs';
import { encodeNpy, encodeSafetensors } from '@tessera/core';
import { fixtures } from '@tessera/fixtures';
import { join } from 'node:path';

export const seeds = {
  safetensors: () => [
    encodeSafetensors(
      {
        a: { dtype: 'F32', shape: [2, 3], data: new Float32Array(6).fill(1.5) },
        b: { dtype: 'I8', shape: [4], data: new Int8Array(4) },
      },
      { model: 'seed' },
    ),
    readFileSync(join(fixtures.stanford, 'model.safetensors')).subarray(0, 4096),
  ],
  'onnx-graph': () => [readFileSync(join(fixtures.pylate, 'onnx', 'model.onnx')).subarray(0, 8192)],
  npy: () => [encodeNpy(new Float32Array([1, 2, 3, 4]), [2, 2]), encodeNpy(new Int8Array(3), [3])],
};
