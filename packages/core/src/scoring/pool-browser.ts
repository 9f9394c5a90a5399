import {
  compiled,
  type KernelCall,
  type ModuleName,
  runHere,
  SHARED_MODULES,
  type ScoringThreads,
  type SharedMemory,
} from './wasm-kernels.js';

export { newSharedMemory, kernels, type SharedMemory } from './wasm-kernels.js';

// The page's globals the pool reads (core compiles without the DOM library).
interface PageWorker {
  postMessage(message: unknown): void;
  onmessage: ((e: { data: { id: number; error?: string } }) => void) | null;
  onerror: ((e: { message?: string }) => void) | null;
}
interface PageGlobals {
  navigator?: { hardwareConcurrency?: number };
  crossOriginIsolated?: boolean;
  Worker?: new (url: string) => PageWorker;
  Blob?: new (parts: string[], options: { type: string }) => unknown;
  URL: { createObjectURL(blob: unknown): string };
}
const page = globalThis as unknown as PageGlobals;

/** Cores a scorer may use by default. */
export const cores = (): number => Math.max(1, page.navigator?.hardwareConcurrency ?? 1);

// The worker's whole program: take the compiled modules once, instantiate one over each shared
// memory (once per memory), run the asked calls, answer. Inline (a blob: URL), so that an app's
// bundler needs no worker file of ours.
const WORKER = `
let modules;
const instances = new Map();
onmessage = (e) => {
  const m = e.data;
  if (m.modules) { modules = m.modules; return; }
  if (m.drop) { instances.delete(m.drop); return; }
  let k = instances.get(m.key);
  if (!k) { k = new WebAssembly.Instance(modules[m.module], { env: { memory: m.memory } }).exports; instances.set(m.key, k); }
  try { for (const [kernel, args] of m.calls) k[kernel](...args); postMessage({ id: m.id }); }
  catch (err) { postMessage({ id: m.id, error: String((err && err.message) || err) }); }
};`;

/**
 * Web Workers that run parts of a job (scoring a packed set, a search's stages) in its shared
 * memory while the page's thread runs its own part: the browser form of the Node pool
 * (scoring/pool.ts). A shared memory can only be sent to a worker in a cross-origin isolated
 * page; elsewhere, or where the page may not start workers, everything runs on the calling thread.
 */
class PageScoringPool implements ScoringThreads {
  private workers: PageWorker[] = [];
  private next = 1;
  private url: string | undefined;
  private broken = false;
  private readonly waiting = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();

  size(threads: number): number {
    if (this.broken || !page.crossOriginIsolated || !page.Worker || !page.Blob) return 1;
    return Math.max(1, Math.min(threads, cores()));
  }

  private ensure(n: number): PageWorker[] {
    while (this.workers.length < n) {
      this.url ??= page.URL.createObjectURL(new page.Blob!([WORKER], { type: 'text/javascript' }));
      const w = new page.Worker!(this.url);
      w.onmessage = (e) => {
        const p = this.waiting.get(e.data.id);
        this.waiting.delete(e.data.id);
        if (e.data.error) p?.reject(new Error(e.data.error));
        else p?.resolve();
      };
      w.onerror = (e) => {
        for (const p of this.waiting.values())
          p.reject(new Error(`scoring worker failed: ${e.message ?? 'unknown error'}`));
        this.waiting.clear();
        this.workers = this.workers.filter((x) => x !== w);
      };
      const modules: Record<string, object> = {};
      for (const name of Object.keys(SHARED_MODULES) as ModuleName[]) modules[name] = compiled(name);
      w.postMessage({ modules });
      this.workers.push(w);
    }
    return this.workers.slice(0, n);
  }

  async calls(key: number, memory: SharedMemory, module: ModuleName, parts: KernelCall[][]): Promise<void> {
    let workers: PageWorker[];
    try {
      workers = this.ensure(parts.length - 1);
    } catch {
      // A page whose policy forbids blob: workers runs everything on its own thread from now on.
      this.broken = true;
      for (const calls of parts) runHere(memory, module, calls);
      return;
    }
    const done = parts.slice(1).map(
      (calls, i) =>
        new Promise<void>((resolve, reject) => {
          const id = this.next++;
          this.waiting.set(id, { resolve, reject });
          workers[i]!.postMessage({ id, key, memory, module, calls });
        }),
    );
    try {
      runHere(memory, module, parts[0]!);
    } finally {
      await Promise.all(done);
    }
  }

  drop(key: number): void {
    for (const w of this.workers) w.postMessage({ drop: key });
  }
}

export const pool: ScoringThreads = new PageScoringPool();
