import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { FormatReply, FormatRequest } from './format-worker.js';
import { jsonFloatArrays } from './json-body.js';

interface Written {
  bytes: Buffer;
  /** For rows: where each array's text ends in bytes. */
  ends?: Int32Array;
}

interface Pending {
  resolve: (w: Written) => void;
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
 * the server's one main thread becomes the limit: writing JSON float rows held it well under
 * offline encodeDocuments at high concurrency. On a CPU-only machine the engine's threads already
 * use every core, so the server starts no pool there (bench/decisions.md#formatting-threads-server).
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
      else p.resolve({ bytes: Buffer.from(m.bytes, 0, m.length), ends: m.ends });
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
  async format(value: unknown): Promise<Buffer> {
    return (await this.send((id) => ({ id, body: value }))).bytes;
  }

  /**
   * Each array's JSON text, for a body that is alone: the arrays are cut into one run per thread
   * and one for the caller, which writes its run while the threads write theirs.
   */
  async formatRows(rows: readonly Float32Array[]): Promise<Map<Float32Array, Uint8Array>> {
    const shares = this.threads.length + 1;
    const total = rows.reduce((s, r) => s + r.length, 0);
    const runs: Float32Array[][] = [];
    let run: Float32Array[] = [];
    let filled = 0;
    for (const r of rows) {
      run.push(r);
      filled += r.length;
      // Cut where the runs so far hold their share of the numbers.
      if (filled >= ((runs.length + 1) * total) / shares && runs.length < shares - 1) {
        runs.push(run);
        run = [];
      }
    }
    if (run.length) runs.push(run);
    const [own = [], ...others] = runs;
    const sent = others.map((r) => {
      // One packed copy that moves to the thread, rather than a clone of each row's whole buffer.
      const lengths = Int32Array.from(r, (x) => x.length);
      const packed = new Float32Array(lengths.reduce((s, n) => s + n, 0));
      let at = 0;
      for (const x of r) {
        packed.set(x, at);
        at += x.length;
      }
      return this.send((id) => ({ id, rows: packed, lengths }), [packed.buffer]);
    });
    const mine = jsonFloatArrays(own);
    const written = [mine, ...(await Promise.all(sent))];
    const out = new Map<Float32Array, Uint8Array>();
    written.forEach((w, k) => {
      let start = 0;
      (k === 0 ? own : others[k - 1]!).forEach((r, i) => {
        const end = w.ends![i]!;
        out.set(r, w.bytes.subarray(start, end));
        start = end;
      });
    });
    return out;
  }

  private send(message: (id: number) => FormatRequest, transfer: ArrayBuffer[] = []): Promise<Written> {
    if (this.closed) return Promise.reject(new Error('the server is closed'));
    let thread = this.threads[0]!;
    for (const t of this.threads) if (t.pending.size < thread.pending.size) thread = t;
    const id = this.seq++;
    return new Promise<Written>((resolve, reject) => {
      thread.pending.set(id, { resolve, reject });
      try {
        thread.worker.postMessage(message(id), transfer);
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
