import { MAXSIM_WASM } from './maxsim-wasm.js';
import { instantiateKernel, type WasmMemory } from './wasm-kernel.js';

/** The 128-bit SIMD MaxSim kernel (wasm/maxsim.wat), or undefined where WebAssembly SIMD is missing. */
interface Kernel {
  memory: WasmMemory;
  maxsim: (q: number, qRows: number, d: number, dRows: number, dim: number, best: number) => number;
}

let kernel: Kernel | null | undefined;

function load(): Kernel | null {
  if (kernel === undefined) kernel = instantiateKernel<Kernel>(MAXSIM_WASM);
  return kernel;
}

/**
 * Scores one query against documents in the SIMD kernel: the query is copied in once, each
 * document's rows after it. Returns undefined when the kernel cannot run (no SIMD, dim % 4).
 */
export function maxSimManySimd(
  q: Float32Array,
  qRows: number,
  docs: ReadonlyArray<{ data: Float32Array; rows: number }>,
  dim: number,
): Float32Array | undefined {
  if (dim % 4 !== 0) return undefined;
  const k = load();
  if (!k) return undefined;
  const qBytes = qRows * dim * 4;
  const bestAt = qBytes;
  const docAt = bestAt + Math.ceil((qRows * 4) / 16) * 16;
  const largest = docs.reduce((m, d) => Math.max(m, d.rows), 0);
  const need = docAt + largest * dim * 4;
  if (k.memory.buffer.byteLength < need) k.memory.grow(Math.ceil((need - k.memory.buffer.byteLength) / 65536));
  const heap = new Float32Array(k.memory.buffer);
  heap.set(q.subarray(0, qRows * dim), 0);
  const out = new Float32Array(docs.length);
  for (let i = 0; i < docs.length; i++) {
    const d = docs[i]!;
    if (d.rows === 0 || qRows === 0) continue;
    heap.set(d.data.subarray(0, d.rows * dim), docAt / 4);
    out[i] = k.maxsim(0, qRows, docAt, d.rows, dim, bestAt);
  }
  return out;
}
