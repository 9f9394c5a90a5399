import { createHash } from 'node:crypto';
import { open, stat } from 'node:fs/promises';
import type { ModelSpec } from './spec.js';

const HEAD = 1 << 20;

/**
 * A hash of what decides a model's vectors: its configuration, ColBERT settings, projection
 * weights, and the size and first megabyte of its backbone weights (not all of them: hashing
 * gigabytes on every index run would cost more than it protects). An index records it, and a run
 * with another model is refused even when both are called by the same name.
 */
export async function modelFingerprint(spec: ModelSpec): Promise<string> {
  const h = createHash('sha256');
  h.update(
    JSON.stringify({
      kind: spec.kind,
      layout: spec.layout,
      config: spec.config,
      colbert: spec.colbert,
      outputDim: spec.outputDim,
      lowercase: spec.lowercase,
      prompts: spec.prompts,
      normalize: spec.normalize,
      projection: spec.projection.map((l) => [
        l.inFeatures,
        l.outFeatures,
        l.activation,
        !!l.bias,
        l.residual === undefined ? null : l.residual === 'identity' ? 'identity' : 'matrix',
      ]),
    }),
  );
  for (const l of spec.projection) {
    h.update(new Uint8Array(l.weight.buffer, l.weight.byteOffset, l.weight.byteLength));
    if (l.bias) h.update(new Uint8Array(l.bias.buffer, l.bias.byteOffset, l.bias.byteLength));
  }
  const weights = spec.weightsFile ?? (spec.onnxFiles[0] ? `${spec.dir}/${spec.onnxFiles[0]}` : undefined);
  if (weights) {
    const size = (await stat(weights)).size;
    h.update(`weights:${size}`);
    const f = await open(weights, 'r');
    try {
      const buf = Buffer.alloc(Math.min(HEAD, size));
      await f.read(buf, 0, buf.length, 0);
      h.update(buf);
    } finally {
      await f.close();
    }
  }
  return h.digest('hex').slice(0, 32);
}
