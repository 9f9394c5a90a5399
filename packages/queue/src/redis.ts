import { Redis, type RedisOptions } from 'ioredis';
import { TesseraError } from '@tessera/core';

/** Connection options for BullMQ from a redis:// URL (workers need maxRetriesPerRequest null). */
export function redisOptions(url: string): RedisOptions {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new TesseraError(
      'INVALID_OPTION',
      `--queue must be a redis:// URL such as redis://127.0.0.1:6379 (got ${JSON.stringify(url)})`,
      { field: 'queue' },
    );
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:')
    throw new TesseraError('INVALID_OPTION', `--queue must be a redis:// or rediss:// URL (got ${url})`, {
      field: 'queue',
    });
  return {
    host: u.hostname || '127.0.0.1',
    port: Number(u.port || 6379),
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(u.pathname.length > 1 ? { db: Number(u.pathname.slice(1)) } : {}),
    ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
    maxRetriesPerRequest: null,
  };
}

/** A client, after checking that Redis answers (a clear error instead of endless reconnects). */
export async function connectRedis(url: string, timeoutMs = 3000): Promise<Redis> {
  const redis = new Redis({
    ...redisOptions(url),
    lazyConnect: true,
    retryStrategy: () => null,
    connectTimeout: timeoutMs,
  });
  redis.on('error', () => {});
  try {
    await redis.connect();
    await redis.ping();
  } catch (e) {
    redis.disconnect();
    throw new TesseraError(
      'STORE_FAILED',
      `cannot reach Redis at ${url} (${(e as Error).message}); start redis-server (Debian: apt-get install redis-server) or point --queue at a running one`,
      { queue: url },
      { cause: e },
    );
  }
  // From here on, reconnect as usual.
  redis.options.retryStrategy = (times: number) => Math.min(times * 200, 2000);
  return redis;
}
