import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtures } from '@tessera/fixtures';
import { QUEUE_NAME, type ShardResult } from '@tessera/queue';
import { startTestRedis, type TestRedis } from '@tessera/queue/testing';
import { LanceDbStore } from '@tessera/store-lancedb';
import { Queue } from 'bullmq';
import { waitFor } from './wait.js';

const CLI = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const GATED = fileURLToPath(new URL('./gated-backend.mjs', import.meta.url));
const CORPUS = fileURLToPath(new URL('../../../bench/corpus/passages.jsonl', import.meta.url));
const tmp = () => mkdtempSync(join(tmpdir(), 'tessera-queue-'));
const env = { ...process.env, HF_HUB_OFFLINE: '1' };

function run(args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env, timeout: 600_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const passages = readFileSync(CORPUS, 'utf8')
  .trim()
  .split('\n')
  .map((l) => (JSON.parse(l) as { text: string }).text);

/** Every row of an index: id -> its vectors, with each id counted. */
async function rows(dir: string): Promise<{ count: Map<string, number>; vectors: Map<string, Float32Array> }> {
  const s = await LanceDbStore.open(dir);
  const count = new Map<string, number>();
  for await (const e of s.entries()) count.set(e.id, (count.get(e.id) ?? 0) + 1);
  const vectors = new Map<string, Float32Array>();
  const n = await s.count();
  // Rows come back through search with a limit past the count (exact scan: every document).
  for (const h of await s.search({ rows: 1, dim: 16, data: new Float32Array(16).fill(0.25) }, { limit: n }))
    vectors.set(h.id, h.vectors!.data);
  await s.close();
  return { count, vectors };
}

function worker(url: string, gate?: string): { child: ChildProcess; log: () => string } {
  const backend = gate ? GATED : 'onnx';
  const child = spawn(
    process.execPath,
    [
      CLI,
      'worker',
      '--queue',
      url,
      '--backend',
      backend,
      '--threads',
      '1',
      '--lock-duration',
      '2',
      '--stalled-interval',
      '1',
    ],
    { env: gate ? { ...env, TESSERA_TEST_GATE: gate } : env },
  );
  let log = '';
  child.stderr!.on('data', (d) => (log += String(d)));
  child.stdout!.on('data', (d) => (log += String(d)));
  return { child, log: () => log };
}

let redis: TestRedis;
beforeAll(async () => {
  redis = await startTestRedis();
});
afterAll(() => redis?.stop());

describe('tessera index --queue with tessera worker', () => {
  it('three workers, one killed part-way: every id once, vectors equal to a single-process index', async () => {
    const input = join(tmp(), 'corpus.jsonl');
    // 16 shards of 60: enough for three workers to share and one to be killed holding a shard.
    const n = 960;
    // Ids repeat once across shards (p7 at lines 8 and 801): the last line must win.
    const lines = Array.from({ length: n }, (_, i) =>
      JSON.stringify({
        id: i === 800 ? 'p7' : `p${i}`,
        text: passages[i % passages.length]! + (i === 800 ? ' (the later p7)' : ''),
        n: i,
      }),
    );
    writeFileSync(input, `${lines.join('\n')}\n`);
    const single = join(tmp(), 'single');
    expect(
      run([
        'index',
        '--model',
        fixtures.pylate,
        '--backend',
        'onnx',
        '--input',
        input,
        '--to',
        single,
        '--keep-text',
        '--quiet',
      ]).code,
    ).toBe(0);

    const to = join(tmp(), 'queued');
    // The first worker's engine is behind a gate (gated-backend.mjs) that the test closes once it
    // has finished a shard and taken another: it is killed holding a shard, however fast it runs.
    const gate = tmp();
    const workers = [worker(redis.url, gate), worker(redis.url), worker(redis.url)];
    const producer = spawn(
      process.execPath,
      [
        CLI,
        'index',
        '--model',
        fixtures.pylate,
        '--backend',
        'onnx',
        '--input',
        input,
        '--to',
        to,
        '--keep-text',
        '--queue',
        redis.url,
        '--shard-size',
        '60',
        '--json',
      ],
      { env },
    );
    let out = '';
    let err = '';
    producer.stdout!.on('data', (d) => (out += String(d)));
    producer.stderr!.on('data', (d) => (err += String(d)));
    const produced = new Promise<number | null>((r) => producer.on('exit', r));
    const victim = workers[0]!;
    await waitFor(
      'the first worker finishing a shard and taking another',
      () => /done:[\s\S]*started/.test(victim.log()),
      { child: victim.child, stderr: victim.log },
    );
    writeFileSync(join(gate, 'hold'), '');
    await waitFor('the first worker held at the gate with a shard', () => existsSync(join(gate, 'blocked')), {
      child: victim.child,
      stderr: victim.log,
    });
    const taken = [...victim.log().matchAll(/cpu: (\S+) started/g)].map((m) => m[1]!);
    victim.child.kill('SIGKILL');
    expect(await produced, err).toBe(0);
    const status = JSON.parse(out.trim().split('\n').at(-1)!);
    expect(status).toMatchObject({ shards: 16, done: 16, failed: 0, written: n - 1, duplicates: 1 });
    for (const w of workers.slice(1)) w.child.kill('SIGTERM');

    // The shard the killed worker held was finished by another worker.
    const queue = new Queue(QUEUE_NAME, { connection: { host: '127.0.0.1', port: Number(new URL(redis.url).port) } });
    const last = await queue.getJob(taken.at(-1)!);
    expect(await last!.getState()).toBe('completed');
    expect((last!.returnvalue as ShardResult).worker).not.toMatch(new RegExp(`:${victim.child.pid}$`));
    await queue.close();

    const a = await rows(single);
    const b = await rows(to);
    expect(b.count.size).toBe(n - 1);
    expect([...b.count.values()].every((c) => c === 1)).toBe(true);
    expect([...b.count.keys()].sort()).toEqual([...a.count.keys()].sort());
    for (const [id, v] of a.vectors) {
      const w = b.vectors.get(id)!;
      expect(w.length, id).toBe(v.length);
      let diff = 0;
      for (let k = 0; k < v.length; k++) diff = Math.max(diff, Math.abs(v[k]! - w[k]!));
      expect(diff, id).toBeLessThan(1e-5);
    }
    // Rerunning the same command queues nothing and finds the run done.
    const again = run([
      'index',
      '--model',
      fixtures.pylate,
      '--backend',
      'onnx',
      '--input',
      input,
      '--to',
      to,
      '--keep-text',
      '--queue',
      redis.url,
      '--shard-size',
      '60',
    ]);
    expect(again.stderr).toMatch(/16 shards of 960 documents .*\(0 queued now/);
    expect(again.stderr).toMatch(/16\/16 shards done/);
  });

  it('fails a shard that keeps failing, with its error in --status, instead of retrying it forever', async () => {
    const input = join(tmp(), 'bad.jsonl');
    writeFileSync(
      input,
      `${JSON.stringify({ id: 'a', text: 'fine' })}\n${JSON.stringify({ id: 'b', text: 7 })}\n${JSON.stringify({ id: 'c', text: 'also fine' })}\n`,
    );
    const to = join(tmp(), 'idx');
    const w = worker(redis.url);
    const r = run([
      'index',
      '--model',
      fixtures.pylate,
      '--backend',
      'onnx',
      '--input',
      input,
      '--to',
      to,
      '--queue',
      redis.url,
      '--shard-size',
      '2',
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/2\/2 shards|1\/2 shards done, 1 failed/);
    const s = run(['index', '--to', to, '--queue', redis.url, '--status']);
    expect(s.code).toBe(1);
    expect(s.stderr).toContain(`failed `);
    expect(s.stderr).toContain(`${input}:2: "text" must be a string, got number`);
    w.child.kill('SIGTERM');
  });

  it('says clearly when Redis cannot be reached', () => {
    const r = run(['worker', '--queue', 'redis://127.0.0.1:1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot reach Redis at redis:\/\/127\.0\.0\.1:1 .*start redis-server/);
  });
});
