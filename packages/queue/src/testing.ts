import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectRedis } from './redis.js';

export interface TestRedis {
  url: string;
  stop(): Promise<void>;
}

const free = () =>
  new Promise<number>((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });

/**
 * A Redis for tests: a private redis-server on a free loopback port (no persistence), or the one
 * REDIS_URL names. Without either, an error that says what to install: the queue tests never
 * pass by skipping.
 */
export async function startTestRedis(): Promise<TestRedis> {
  if (process.env.REDIS_URL) {
    await (await connectRedis(process.env.REDIS_URL)).quit();
    return { url: process.env.REDIS_URL, stop: async () => {} };
  }
  if (spawnSync('redis-server', ['--version']).status !== 0)
    throw new Error(
      'the queue tests need Redis: install redis-server (Debian: apt-get install redis-server; ' +
        'scripts/setup.sh does it as root) or set REDIS_URL to a running one',
    );
  const port = await free();
  const dir = mkdtempSync(join(tmpdir(), 'tessera-redis-'));
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
    { stdio: 'ignore' },
  );
  const url = `redis://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      await (await connectRedis(url, 500)).quit();
      break;
    } catch (e) {
      if (i > 50) {
        child.kill();
        throw e;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    url,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
