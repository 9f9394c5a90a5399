import { compiled, kernels, type KernelName, type ScoringThreads, type SharedMemory } from './wasm-kernels.js';

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

// The worker's whole program: take the compiled kernels once, instantiate them over each packed
// set's shared memory (once per memory), run the asked range, answer. Inline (a blob: URL), so
// that an app's bundler needs no worker file of ours.
const WORKER = `
let module;
const instances = new Map();
onmessage = (e) => {
  const m = e.data;
  if (m.module) { module = m.module; return; }
  if (m.drop) { instances.delete(m.drop); return; }
  let k = instances.get(m.key);
  if (!k) { k = new WebAssembly.Instance(module, { env: { memory: m.memory } }).exports; instances.set(m.key, k); }
  try { k[m.kernel](...m.args); postMessage({ id: m.id }); }
  catch (err) { postMessage({ id: m.id, error: String((err && err.message) || err) }); }
};`;

/**
 * Web Workers that score parts of a packed set in its shared memory while the page's thread
 * scores its own part: the browser form of the Node pool (scoring/pool.ts). A shared memory can
 * only be sent to a worker in a cross-origin isolated page; elsewhere, or where the page may not
 * start workers, everything runs on the calling thread.
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
      w.postMessage({ module: compiled() });
      this.workers.push(w);
    }
    return this.workers.slice(0, n);
  }

  async run(key: number, memory: SharedMemory, kernel: KernelName, parts: number[][]): Promise<void> {
    let workers: PageWorker[];
    try {
      workers = this.ensure(parts.length - 1);
    } catch {
      // A page whose policy forbids blob: workers scores on its own thread from now on.
      this.broken = true;
      for (const args of parts) kernels(memory)[kernel](...args);
      return;
    }
    const done = parts.slice(1).map(
      (args, i) =>
        new Promise<void>((resolve, reject) => {
          const id = this.next++;
          this.waiting.set(id, { resolve, reject });
          workers[i]!.postMessage({ id, key, memory, kernel, args });
        }),
    );
    kernels(memory)[kernel](...parts[0]!);
    await Promise.all(done);
  }

  drop(key: number): void {
    for (const w of this.workers) w.postMessage({ drop: key });
  }
}

export const pool: ScoringThreads = new PageScoringPool();
