import { readdirSync, readFileSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import type { ModelFiles } from './model-files.js';

/** A model folder on disk. */
export const nodeFiles: ModelFiles = {
  join: (...parts) => join(...parts),
  relative: (dir, path) => relative(dir, path).split(sep).join('/'),
  kind(path) {
    try {
      const st = statSync(path);
      return st.isDirectory() ? 'dir' : st.isFile() ? 'file' : undefined;
    } catch {
      return undefined;
    }
  },
  size: (path) => statSync(path).size,
  readText: (path) => readFileSync(path, 'utf8'),
  list: (dir) => readdirSync(dir),
  async read(path, begin = 0, end) {
    if (begin === 0 && end === undefined) return new Uint8Array(readFileSync(path));
    const fh = await open(path, 'r');
    try {
      const length = Math.max(0, (end ?? (await fh.stat()).size) - begin);
      const buf = Buffer.alloc(length);
      const { bytesRead } = await fh.read(buf, 0, length, begin);
      return new Uint8Array(buf.buffer, buf.byteOffset, bytesRead);
    } finally {
      await fh.close();
    }
  },
};
