import { lstatSync, readdirSync, realpathSync } from 'node:fs';
import { join, sep } from 'node:path';
import { TesseraError } from '../errors.js';

/**
 * The folder a model's files may resolve into: the folder itself, or for a Hugging Face cache
 * snapshot (…/models--org--name/snapshots/<rev>) the repository folder, whose blobs/ the
 * snapshot's symlinks point at.
 */
function allowedRoot(dir: string): string {
  const real = realpathSync(dir);
  const parts = real.split(sep);
  const n = parts.length;
  if (n >= 3 && parts[n - 2] === 'snapshots' && /^(models|datasets)--/.test(parts[n - 3]!))
    return parts.slice(0, n - 2).join(sep);
  return real;
}

/**
 * Refuses a model folder with a symlink (at any depth) that resolves outside it: a folder must
 * not make Tessera read /etc/passwd as a config or a weights file from elsewhere.
 */
export function checkConfined(dir: string): void {
  const root = allowedRoot(dir);
  const inside = (p: string) => p === root || p.startsWith(root + sep);
  const walk = (d: string, depth: number) => {
    if (depth > 8) return;
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const st = lstatSync(p);
      if (st.isSymbolicLink()) {
        let target: string;
        try {
          target = realpathSync(p);
        } catch {
          continue; // a dangling link is reported when (if) the file is needed
        }
        if (!inside(target))
          throw new TesseraError(
            'INVALID_MODEL',
            `${p} links to ${target}, outside the model folder ${root}; copy the file into the folder instead`,
            { file: p },
          );
      } else if (st.isDirectory()) walk(p, depth + 1);
    }
  };
  walk(realpathSync(dir), 0);
}
