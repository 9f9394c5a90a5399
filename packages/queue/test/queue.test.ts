import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findDuplicateLines, redisOptions, runKey } from '../src/index.js';
import { startTestRedis } from '../src/testing.js';
import { connectRedis } from '../src/redis.js';

const file = (content: string) => {
  const p = join(mkdtempSync(join(tmpdir(), 'tessera-q-')), 'c.jsonl');
  writeFileSync(p, content);
  return p;
};

describe('the queue', () => {
  it('finds the earlier lines of repeated ids (the last line wins), and none where ids are line numbers', async () => {
    const lines = Array.from({ length: 5000 }, (_, i) => JSON.stringify({ id: `d${i % 4000}`, text: `t${i}` }));
    const p = file(`${lines.join('\n')}\n`);
    const d = await findDuplicateLines(p, { field: 'id' }, 'text');
    expect(d.skip.length).toBe(1000);
    expect(d.skip[0]).toBe(1);
    expect(d.skip.at(-1)).toBe(1000);
    expect(d.examples.length).toBe(10);
    expect(await findDuplicateLines(p, 'lines', 'text')).toEqual({ skip: [], examples: [] });
  });

  it('reads redis:// URLs and refuses others, naming the option', () => {
    expect(redisOptions('redis://u:p%40ss@10.0.0.5:6380/2')).toMatchObject({
      host: '10.0.0.5',
      port: 6380,
      username: 'u',
      password: 'p@ss',
      db: 2,
      maxRetriesPerRequest: null,
    });
    expect(() => redisOptions('http://x')).toThrow(/--queue must be a redis:\/\/ or rediss:\/\/ URL/);
    expect(() => redisOptions('nonsense')).toThrow(/--queue must be a redis:\/\/ URL/);
  });

  it('gives a run the same key for the same input, index and options, and another for a change', () => {
    const base = {
      input: '/c',
      size: 10,
      mtimeMs: 1,
      to: '/i',
      fingerprint: 'f',
      dimension: 96,
      shardSize: 1000,
      textField: 'text',
      ids: { field: 'id' } as const,
      keepText: false,
      skipInvalid: false,
    };
    expect(runKey(base)).toBe(runKey({ ...base }));
    expect(runKey(base)).not.toBe(runKey({ ...base, size: 11 }));
    expect(runKey(base)).not.toBe(runKey({ ...base, fingerprint: 'g' }));
  });

  it('starts a private Redis for tests, and says why a client cannot connect', async () => {
    const r = await startTestRedis();
    try {
      const c = await connectRedis(r.url);
      expect(await c.ping()).toBe('PONG');
      c.disconnect();
    } finally {
      await r.stop();
    }
    await expect(connectRedis('redis://127.0.0.1:1', 500)).rejects.toThrow(
      /cannot reach Redis at redis:\/\/127\.0\.0\.1:1/,
    );
  });
});
