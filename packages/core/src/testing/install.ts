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

/**
 * The suite's quick form of the install tests (`pnpm test:install` installs for real): packs the
 * package and lists what a user's install would miss. Every file its package.json names (main,
 * types, bin, every exports target) must be in the tarball, and no dependency may keep a
 * `workspace:` range, which a registry install cannot resolve.
 */
export function tarballProblems(dir: string): { problems: string[]; files: string[] } {
  const [tarball] = packTarballs([dir]);
  const files = execFileSync('tar', ['-tzf', tarball!], { encoding: 'utf8' })
    .split('\n')
    .filter(Boolean)
    .map((f) => f.replace(/^package\//, ''));
  const manifest = JSON.parse(execFileSync('tar', ['-xzOf', tarball!, 'package/package.json'], { encoding: 'utf8' }));
  const problems: string[] = [];
  const named = new Set<string>();
  const collect = (v: unknown) => {
    if (typeof v === 'string') named.add(v.replace(/^\.\//, ''));
    else if (v && typeof v === 'object') for (const x of Object.values(v)) collect(x);
  };
  for (const field of ['main', 'types', 'bin', 'exports']) collect(manifest[field]);
  const have = new Set(files);
  for (const f of named)
    if (!f.includes('*') && !have.has(f))
      problems.push(`${manifest.name}: package.json names ${f}, which the tarball lacks`);
  for (const field of ['dependencies', 'optionalDependencies', 'peerDependencies'])
    for (const [dep, range] of Object.entries((manifest[field] ?? {}) as Record<string, string>))
      if (range.startsWith('workspace:')) problems.push(`${manifest.name}: ${field}.${dep} is ${range}`);
  return { problems, files };
}
