// Fuzz targets: each takes bytes and must return, or throw a TesseraError that names the input;
// any other exception is a finding (so is a hang, caught by the runner's time limit).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TesseraError, decodeNpy } from '@tessera/core';
import { SafetensorsFile } from '@tessera/core/backend';
import { readGraphInfoOf } from '@tessera/backend-onnx';
import { nodeFiles } from '@tessera/core/backend';

const dir = mkdtempSync(join(tmpdir(), 'tessera-fuzz-'));
const path = join(dir, 'input.safetensors');

function expected(e, name) {
  return e instanceof TesseraError && e.message.includes(name);
}

export const targets = {
  /** SafetensorsFile.open + every tensor's bytes. */
  async safetensors(data) {
    writeFileSync(path, data);
    try {
      const f = await SafetensorsFile.open(path, nodeFiles);
      for (const name of f.names()) {
        const info = f.info(name);
        const bytes = await f.readBytes(name);
        if (bytes.length !== info.end - info.begin || bytes.length > data.length)
          throw new Error(
            `read ${bytes.length} bytes of ${name}; the header promised ${info.end - info.begin} in a ${data.length}-byte file`,
          );
      }
    } catch (e) {
      if (!expected(e, path)) throw e;
    }
  },
  /** The ONNX graph reader (inputs, outputs, initializers, opset). */
  async 'onnx-graph'(data) {
    try {
      const info = readGraphInfoOf(data, 'fuzz.onnx');
      for (const v of [...info.inputs, ...info.outputs])
        if (typeof v.name !== 'string') throw new Error('a graph value without a name');
    } catch (e) {
      if (!expected(e, 'fuzz.onnx')) throw e;
    }
  },
  /** The .npy reader. */
  async npy(data) {
    try {
      const r = decodeNpy(data, 'fuzz.npy');
      if (r.data.byteLength > data.length) throw new Error('decoded more bytes than the file holds');
    } catch (e) {
      if (!expected(e, 'fuzz.npy')) throw e;
    }
  },
};
