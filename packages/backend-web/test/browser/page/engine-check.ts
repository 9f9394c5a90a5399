import * as ort from 'onnxruntime-web/webgpu';

/**
 * Bare onnxruntime-web, no Tessera: the largest difference between its WebGPU and WebAssembly
 * engines' outputs for one graph on one made-up input of `len` tokens (the web backend's
 * refusal of ModernBERT on WebGPU rests on this).
 */
export async function engineGap(model: string, len: number, wasmPaths: string): Promise<number> {
  ort.env.wasm.wasmPaths = wasmPaths;
  const bytes = new Uint8Array(await (await fetch(model)).arrayBuffer());
  const ids = BigInt64Array.from({ length: len }, (_, i) =>
    BigInt(i === 0 ? 101 : i === len - 1 ? 102 : 100 + ((i * 37) % 600)),
  );
  const outputs: Float32Array[] = [];
  for (const ep of ['wasm', 'webgpu']) {
    const s = await ort.InferenceSession.create(bytes, { executionProviders: [ep] });
    try {
      const feeds: Record<string, ort.Tensor> = {};
      for (const n of s.inputNames)
        feeds[n] = new ort.Tensor(
          'int64',
          n === 'input_ids' ? ids : n === 'attention_mask' ? ids.map(() => 1n) : new BigInt64Array(len),
          [1, len],
        );
      const r = await s.run(feeds);
      outputs.push((r[s.outputNames[0]!]!.data as Float32Array).slice());
    } finally {
      await s.release();
    }
  }
  const [a, b] = outputs as [Float32Array, Float32Array];
  let gap = 0;
  for (let i = 0; i < a.length; i++) gap = Math.max(gap, Math.abs(a[i]! - b[i]!));
  return gap;
}
