import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { FormatReply } from './format-worker.js';

interface Pending {
  resolve: (body: Buffer) => void;
  reject: (e: Error) => void;
}

interface PoolThread {
  worker: Worker;
  pending: Map<number, Pending>;
}

// Beside this file once built; under the test runner this module runs from src/ (TypeScript),
// and the worker is the built one.
const BESIDE = new URL('./format-worker.js', import.meta.url);
const WORKER_FILE = existsSync(fileURLToPath(BESIDE)) ? BESIDE : new URL('../dist/format-worker.js', import.meta.url);

/**
 * Response bodies written as JSON on worker threads. On a GPU the engine leaves the CPU idle and
 * the server's one main thread becomes the limit: measured on an H200 host (bench/results/gpu),
 * writing JSON float rows cost ~1.2 ms of main-thread time a document and held the server to
 * 0.28x offline encodeDocuments at concurrency 16-64 (base64 rows 0.64x). On a CPU-only machine
 * the engine's threads already use every core, so the server starts no pool there (measured on
 * 2 cores: a second thread pool beside the engine halves throughput).
 */
export class FormatPool {
  private readonly threads: PoolThread[] = [];
  private seq = 0;
  private closed = false;

  constructor(readonly size: number) {
    for (let i = 0; i < size; i++) this.threads.push(this.start());
  }

  private start(): PoolThread {
    const worker = new Worker(WORKER_FILE);
    // Idle formatting threads must not keep a process alive whose server was never closed.
    worker.unref();
    const thread: PoolThread = { worker, pending: new Map() };
    worker.on('message', (m: FormatReply) => {
      const p = thread.pending.get(m.id);
      if (!p) return;
      thread.pending.delete(m.id);
      if ('error' in m) p.reject(new Error(`writing the response failed: ${m.error}`));
      else p.resolve(Buffer.from(m.bytes, 0, m.length));
    });
    const fail = (why: string) => {
      for (const p of thread.pending.values()) p.reject(new Error(`a formatting thread ${why}`));
      thread.pending.clear();
      // A thread that died is replaced; the requests it held fail with a 500, the rest go on.
      const at = this.threads.indexOf(thread);
      if (!this.closed && at >= 0) this.threads[at] = this.start();
    };
    worker.on('error', (e) => fail(`failed: ${e.message}`));
    worker.on('exit', (code) => fail(`exited with code ${code}`));
    return thread;
  }

  /** The value's JSON bytes, written by the least busy thread. */
  format(value: unknown): Promise<Buffer> {
    if (this.closed) return Promise.reject(new Error('the server is closed'));
    let thread = this.threads[0]!;
    for (const t of this.threads) if (t.pending.size < thread.pending.size) thread = t;
    const id = this.seq++;
    return new Promise<Buffer>((resolve, reject) => {
      thread.pending.set(id, { resolve, reject });
      try {
        thread.worker.postMessage({ id, value });
      } catch (e) {
        thread.pending.delete(id);
        reject(e as Error);
      }
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.threads.map((t) => t.worker.terminate()));
  }
}
