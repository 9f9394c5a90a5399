import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Tessera } from '@tessera/core';
import { enqueueIndex, runStatus, QUEUE_NAME, type ShardResult } from '@tessera/queue';
import { startTestRedis } from '@tessera/queue/testing';
import { LanceDbStore } from '@tessera/store-lancedb';
import { Queue } from 'bullmq';
import { round } from '../measure.js';

export interface QueueRow {
  workers: number;
  threadsEach: number;
  docsPerSec: number;
  ratio: number;
  /** Per shard: wall time on the worker beyond encoding (read, parse, write, BullMQ), mean ms. */
  overheadMsPerShard: number;
  /** Per shard: time from one shard's end to the same worker's next start, mean ms. */
  pickupMs: number;
}

export interface QueueResults {
  model: string;
  texts: number;
  shardSize: number;
  singleDocsPerSec: number;
  rows: QueueRow[];
}

const WORKER = fileURLToPath(new URL('../queue-worker.js', import.meta.url));

/**
 * `tessera index --queue` with 1, 2 and 3 CPU worker processes against a single-process
 * `t.index()` of the same texts, on one machine: the cores bound it; what it shows is the
 * queue's cost per shard.
 */
export async function queueBench(
  modelDir: string,
  modelName: string,
  o: { threads: number; texts: string[]; shardSize: number; workers: number[] },
): Promise<QueueResults> {
  const work = mkdtempSync(join(tmpdir(), 'tessera-bench-queue-'));
  const input = join(work, 'corpus.jsonl');
  writeFileSync(input, `${o.texts.map((text, i) => JSON.stringify({ id: `p${i}`, text })).join('\n')}\n`);
  const redis = await startTestRedis();
  const t = await Tessera.create({ model: modelDir, backend: 'onnx', device: 'cpu', threads: o.threads });
  try {
    await t.encodeDocuments(o.texts.slice(0, 8));
    const single = await LanceDbStore.open(join(work, 'single'));
    const t0 = performance.now();
    await t.index(
      single,
      o.texts.map((text, i) => ({ id: `p${i}`, text })),
    );
    const singleDocsPerSec = o.texts.length / ((performance.now() - t0) / 1000);
    await single.close();
    const rows: QueueRow[] = [];
    for (const n of o.workers) {
      const threadsEach = Math.max(1, Math.floor(o.threads / n));
      const children: ChildProcess[] = Array.from({ length: n }, () =>
        spawn(process.execPath, [WORKER, JSON.stringify({ queue: redis.url, threads: threadsEach })], {
          stdio: 'ignore',
        }),
      );
      // The workers stop whatever happens: a failed run must not leave them holding the bench open.
      const exited = children.map((c) => new Promise((r) => c.once('exit', r)));
      try {
        // Workers load their model on the first shard: a warm-up run, then the measured one.
        await enqueueIndex(t, { queue: redis.url, input, to: join(work, `warm-${n}`), shardSize: o.shardSize });
        const warm = await waitDone(redis.url, join(work, `warm-${n}`));
        void warm;
        const to = join(work, `queued-${n}`);
        const started = Date.now();
        const info = await enqueueIndex(t, { queue: redis.url, input, to, shardSize: o.shardSize });
        await waitDone(redis.url, to);
        const secs = (Date.now() - started) / 1000;
        const queue = new Queue(QUEUE_NAME, {
          connection: { host: '127.0.0.1', port: Number(new URL(redis.url).port) },
        });
        const jobs = (
          await Promise.all(Array.from({ length: info.shards }, (_, i) => queue.getJob(`${info.run}-${i}`)))
        ).filter((j) => !!j);
        await queue.close();
        const overhead = jobs.map((j) => j!.finishedOn! - j!.processedOn! - (j!.returnvalue as ShardResult).encodeMs);
        const byWorker = new Map<string, Array<{ start: number; end: number }>>();
        for (const j of jobs) {
          const w = (j!.returnvalue as ShardResult).worker;
          (byWorker.get(w) ?? byWorker.set(w, []).get(w)!).push({ start: j!.processedOn!, end: j!.finishedOn! });
        }
        const gaps: number[] = [];
        for (const list of byWorker.values()) {
          list.sort((a, b) => a.start - b.start);
          for (let i = 1; i < list.length; i++) gaps.push(list[i]!.start - list[i - 1]!.end);
        }
        const mean = (a: number[]) => (a.length ? a.reduce((s, x) => s + x, 0) / a.length : 0);
        rows.push({
          workers: n,
          threadsEach,
          docsPerSec: round(o.texts.length / secs),
          ratio: round(o.texts.length / secs / singleDocsPerSec),
          overheadMsPerShard: round(mean(overhead), 1),
          pickupMs: round(mean(gaps), 1),
        });
      } finally {
        for (const c of children) c.kill('SIGTERM');
        await Promise.all(exited);
      }
    }
    return {
      model: modelName,
      texts: o.texts.length,
      shardSize: o.shardSize,
      singleDocsPerSec: round(singleDocsPerSec),
      rows,
    };
  } finally {
    await t.dispose();
    await redis.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

async function waitDone(url: string, to: string): Promise<void> {
  for (;;) {
    const s = await runStatus(url, { to });
    if (s.failed) throw new Error(`bench run failed: ${s.failures.map((f) => f.error).join('; ')}`);
    if (s.done >= s.shards) return;
    await new Promise((r) => setTimeout(r, 200));
  }
}
