import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Packs the packages in `dirs` with pnpm; returns the tarballs' paths. */
export function packTarballs(dirs: readonly string[]): string[] {
  const packs = mkdtempSync(join(tmpdir(), 'tessera-packs-'));
  for (const dir of dirs) execFileSync('pnpm', ['pack', '--pack-destination', packs], { cwd: dir, stdio: 'pipe' });
  return readdirSync(packs)
    .filter((f) => f.endsWith('.tgz'))
    .map((f) => join(packs, f));
}

/** An empty project (package.json only) in a temporary folder. */
export function emptyProject(type: 'module' | 'commonjs' = 'module'): string {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-user-'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'user-project', private: true, type }));
  return dir;
}

/**
 * What a user does in install tests: pack `dirs`, npm-install the tarballs into an empty
 * project (with `env` added, e.g. ONNXRUNTIME_NODE_INSTALL=skip), and return the project.
 */
export function installFromTarballs(
  dirs: readonly string[],
  env: Record<string, string> = {},
  type: 'module' | 'commonjs' = 'module',
): { project: string; tarballs: string[] } {
  const tarballs = packTarballs(dirs);
  const project = emptyProject(type);
  execFileSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', ...tarballs], {
    cwd: project,
    stdio: 'pipe',
    env: { ...process.env, ...env },
  });
  return { project, tarballs };
}
