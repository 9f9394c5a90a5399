import { PACKED_WASM } from './packed-wasm.js';

// Declarations for the WebAssembly API (core compiles without the DOM library).
export interface SharedMemory {
  buffer: ArrayBuffer;
  grow(pages: number): number;
}
declare const atob: (base64: string) => string;
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (
    module: object,
    imports: Record<string, Record<string, unknown>>,
  ) => { exports: Record<string, unknown> };
  Memory: new (o: { initial: number; maximum: number; shared: boolean }) => SharedMemory;
};

/** Scores parts of a packed set: the calling thread's part and, where the platform has them, worker threads' parts. */
export interface ScoringThreads {
  /** Threads a call may use (the request bounded by the cores). */
  size(threads: number): number;
  run(key: number, memory: SharedMemory, kernel: KernelName, parts: number[][]): Promise<void>;
  drop(key: number): void;
}

export type KernelName = 'score_f32' | 'score_i8';
type Kernel = (...args: number[]) => void;

let module: object | undefined;
/** The packed kernels (wasm/packed.wat), compiled once per thread. */
export function compiled(): object {
  return (module ??= new WebAssembly.Module(Uint8Array.from(atob(PACKED_WASM), (c) => c.charCodeAt(0))));
}

export function newSharedMemory(bytes: number): SharedMemory {
  const pages = Math.max(1, Math.ceil(bytes / 65536));
  return new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
}

const instances = new WeakMap<SharedMemory, Record<KernelName, Kernel>>();
/** The kernels bound to one packed set's memory, on this thread. */
export function kernels(memory: SharedMemory): Record<KernelName, Kernel> {
  let k = instances.get(memory);
  if (!k) {
    k = new WebAssembly.Instance(compiled(), { env: { memory } }).exports as unknown as Record<KernelName, Kernel>;
    instances.set(memory, k);
  }
  return k;
}
