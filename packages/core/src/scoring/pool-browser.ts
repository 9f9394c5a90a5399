import { kernels, type KernelName, type ScoringThreads, type SharedMemory } from './wasm-kernels.js';

export { newSharedMemory, kernels, type SharedMemory } from './wasm-kernels.js';

declare const navigator: { hardwareConcurrency?: number } | undefined;

/** Cores a scorer may use by default. */
export const cores = (): number => (typeof navigator === 'undefined' ? 1 : (navigator.hardwareConcurrency ?? 1));

/** In a page, scoring runs on the calling thread (the packed set in one part). */
export const pool: ScoringThreads = {
  size: () => 1,
  async run(_key: number, memory: SharedMemory, kernel: KernelName, parts: number[][]) {
    for (const args of parts) kernels(memory)[kernel](...args);
  },
  drop() {},
};
