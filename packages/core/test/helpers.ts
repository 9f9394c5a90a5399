import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A writable copy of a fixture folder, for tests that break it. */
export function copyFixture(src: string, filter?: (path: string) => boolean): string {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-test-'));
  cpSync(src, dir, { recursive: true, filter: filter ?? (() => true) });
  return dir;
}

export { errorOf } from '../src/testing/errors.js';
