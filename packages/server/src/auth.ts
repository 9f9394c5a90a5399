import { createHash, timingSafeEqual } from 'node:crypto';

/** A Bearer token check in constant time (both sides hashed first, so lengths do not leak either). */
export function bearerCheck(apiKey: string): (header: string | undefined) => boolean {
  const want = createHash('sha256').update(apiKey).digest();
  return (header) => {
    const token = /^Bearer\s+(.+)$/i.exec(header ?? '')?.[1] ?? '';
    return timingSafeEqual(createHash('sha256').update(token).digest(), want);
  };
}
