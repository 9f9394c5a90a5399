import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import {
  type KernelCall,
  type ModuleName,
  runHere,
  SHARED_MODULES,
  type ScoringThreads,
  type SharedMemory,
} from './wasm-kernels.js';

export { newSharedMemory, kernels, type SharedMemory } from './wasm-kernels.js';

/** Cores a scorer may use by default. */
export const cores = (): number => availableParallelism();

// The worker's whole program: compile the modules, instantiate one over each memory it is sent
// (once per memory), run the asked calls, answer. Inline, so that the pool needs no file of its own.
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const modules = {};
for (const [name, b64] of Object.entries(workerData.wasm)) modules[name] = new WebAssembly.Module(Buffer.from(b64, 'base64'));
const instances = new Map();
parentPort.on('message', (m) => {
  if (m.drop) { instances.delete(m.drop); return; }
  let k = instances.get(m.key);
  if (!k) { k = new WebAssembly.Instance(modules[m.module], { env: { memory: m.memory } }).exports; instances.set(m.key, k); }
  try { for (const [kernel, args] of m.calls) k[kernel](...args); parentPort.postMessage({ id: m.id }); }
  catch (e) { parentPort.postMessage({ id: m.id, error: String(e && e.message || e) }); }
});`;

/**
 * Worker threads that run parts of a job (scoring a packed set, a search's stages) in its shared
 * memory while the calling thread runs its own part. Hand-written (not a pool library) because
 * each thread must keep its own WebAssembly instance over the same shared memory between calls,
 * which task-pool libraries do not model. Sized to the cores, started on first use, unref'd so
 * they never keep a process up.
 */
class ScoringPool implements ScoringThreads {
  private workers: Worker[] = [];
  private next = 1;
  private readonly waiting = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();

  size(threads: number): number {
    return Math.max(1, Math.min(threads, availableParallelism()));
  }

  private ensure(n: number): Worker[] {
    while (this.workers.length < n) {
      const w = new Worker(WORKER, { eval: true, workerData: { wasm: SHARED_MODULES } });
      w.unref();
      w.on('message', (m: { id: number; error?: string }) => {
        const p = this.waiting.get(m.id);
        this.waiting.delete(m.id);
        if (m.error) p?.reject(new Error(m.error));
        else p?.resolve();
      });
      w.on('error', (e) => {
        for (const p of this.waiting.values()) p.reject(e);
        this.waiting.clear();
        this.workers = this.workers.filter((x) => x !== w);
      });
      this.workers.push(w);
    }
    return this.workers.slice(0, n);
  }

  async calls(key: number, memory: SharedMemory, module: ModuleName, parts: KernelCall[][]): Promise<void> {
    const workers = this.ensure(parts.length - 1);
    const done = parts.slice(1).map(
      (calls, i) =>
        new Promise<void>((resolve, reject) => {
          const id = this.next++;
          this.waiting.set(id, { resolve, reject });
          workers[i]!.ref();
          workers[i]!.postMessage({ id, key, memory, module, calls });
        }),
    );
    try {
      runHere(memory, module, parts[0]!);
    } finally {
      try {
        await Promise.all(done);
      } finally {
        for (const w of workers) w.unref();
      }
    }
  }

  /** Lets the workers drop their instance over a memory that is being released. */
  drop(key: number): void {
    for (const w of this.workers) w.postMessage({ drop: key });
  }
}

export const pool = new ScoringPool();
