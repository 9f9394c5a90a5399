import type { ModelSpec } from './spec.js';

// Web Crypto: the same in Node and in a browser (core compiles without the DOM library).
declare const crypto: { subtle: { digest(algorithm: string, data: Uint8Array): Promise<ArrayBuffer> } };

const HEAD = 1 << 20;

/**
 * A hash of what decides a model's vectors: its configuration, ColBERT settings, projection
 * weights, and the size and first megabyte of its backbone weights (not all of them: hashing
 * gigabytes on every index run would cost more than it protects). An index records it, and a run
 * with another model is refused even when both are called by the same name.
 */
export async function modelFingerprint(spec: ModelSpec): Promise<string> {
  const parts: Uint8Array[] = [];
  const text = (s: string) => parts.push(new TextEncoder().encode(s));
  text(
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
    parts.push(new Uint8Array(l.weight.buffer, l.weight.byteOffset, l.weight.byteLength));
    if (l.bias) parts.push(new Uint8Array(l.bias.buffer, l.bias.byteOffset, l.bias.byteLength));
  }
  const weights = spec.weightsFile ?? (spec.onnxFiles[0] ? spec.files.join(spec.dir, spec.onnxFiles[0]) : undefined);
  if (weights) {
    const size = spec.files.size(weights);
    text(`weights:${size}`);
    parts.push(await spec.files.read(weights, 0, Math.min(HEAD, size)));
  }
  // One digest of everything in order: the hash a streaming sha256 of the same parts gives.
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.length;
  }
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', all));
  return [...digest]
    .map((b) => b.toString(16).padStart(2, '0'))
    .join('')
    .slice(0, 32);
}
