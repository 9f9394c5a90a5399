import { PLAID_SHARED_WASM } from '../plaid/plaid-shared-wasm.js';
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

/** The modules whose kernels run over a shared memory: packed MaxSim (wasm/packed.wat) and the search's stages (wasm/plaid.wat). */
export const SHARED_MODULES = { packed: PACKED_WASM, plaid: PLAID_SHARED_WASM };
export type ModuleName = keyof typeof SHARED_MODULES;

/** One kernel call: its export's name and arguments. */
export type KernelCall = [kernel: string, args: number[]];

/** Runs parts of one job over a shared memory: the calling thread's part and, where the platform has them, worker threads' parts. */
export interface ScoringThreads {
  /** Threads a call may use (the request bounded by the cores). */
  size(threads: number): number;
  /** Each part's calls in order, the first part on this thread and each other on a worker. */
  calls(key: number, memory: SharedMemory, module: ModuleName, parts: KernelCall[][]): Promise<void>;
  drop(key: number): void;
}

export type KernelName = 'score_f32' | 'score_i8';
type Kernel = (...args: number[]) => void;

let lastKey = 0;
/** A key no other shared memory has: workers keep one instance a key. */
export const newKey = (): number => ++lastKey;

const modules = new Map<ModuleName, object>();
/** A shared-memory module, compiled once per thread. */
export function compiled(name: ModuleName = 'packed'): object {
  let m = modules.get(name);
  if (!m) {
    m = new WebAssembly.Module(Uint8Array.from(atob(SHARED_MODULES[name]), (c) => c.charCodeAt(0)));
    modules.set(name, m);
  }
  return m;
}

export function newSharedMemory(bytes: number, maximumBytes = bytes): SharedMemory {
  const pages = (n: number) => Math.max(1, Math.ceil(n / 65536));
  return new WebAssembly.Memory({
    initial: pages(bytes),
    maximum: Math.max(pages(bytes), pages(maximumBytes)),
    shared: true,
  });
}

const instances = new WeakMap<SharedMemory, Record<string, Kernel>>();
/** A module's kernels bound to one shared memory, on this thread. */
export function kernels(memory: SharedMemory, name: ModuleName = 'packed'): Record<string, Kernel> {
  let k = instances.get(memory);
  if (!k) {
    k = new WebAssembly.Instance(compiled(name), { env: { memory } }).exports as unknown as Record<string, Kernel>;
    instances.set(memory, k);
  }
  return k;
}

/** Runs one part's calls on this thread. */
export function runHere(memory: SharedMemory, name: ModuleName, calls: KernelCall[]): void {
  const k = kernels(memory, name);
  for (const [kernel, args] of calls) k[kernel]!(...args);
}
