import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const CORE = pathToFileURL(fileURLToPath(new URL('../dist/index.js', import.meta.url))).href;

/** A project folder with a third-party backend installed the way npm lays it out. */
function project(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-discovery-'));
  const pkg = (name: string, manifest: Record<string, unknown>, code: string) => {
    const d = join(dir, 'node_modules', ...name.split('/'));
    mkdirSync(d, { recursive: true });
    writeFileSync(join(d, 'package.json'), JSON.stringify({ name, type: 'module', ...manifest }));
    writeFileSync(join(d, 'index.js'), code);
  };
  const backend = (name: string, priority: number) =>
    `export const backend = { name: '${name}', priority: ${priority}, async devices() { return [{ id: 'cpu', ` +
    `kind: 'cpu', available: true }]; }, async load() { throw new Error('not in this test'); } };`;
  // Declares itself: listed and considered by auto.
  pkg(
    'tessera-backend-mine',
    { exports: { '.': { import: './index.js' } }, tessera: { backend: { name: 'mine', priority: 99 } } },
    backend('mine', 99),
  );
  // Scoped, declared, lower priority.
  pkg(
    '@acme/tessera-backend-fast',
    { main: 'index.js', tessera: { backend: { name: 'fast', priority: 1 } } },
    backend('fast', 1),
  );
  // Named like a backend but without the declaration: usable by name, not listed.
  pkg('tessera-backend-quiet', { exports: './index.js' }, backend('quiet', 50));
  // Declared but broken: listed as not installed, with why.
  pkg(
    'tessera-backend-broken',
    { exports: './index.js', tessera: { backend: { name: 'broken', priority: 5 } } },
    `export const nothing = 1;`,
  );
  return dir;
}

/** Runs a script in the project with core imported from its built files (as a global or pnpm install sees it). */
function inProject(dir: string, body: string): { code: number | null; out: unknown; stderr: string } {
  const script = `import * as core from '${CORE}';\nconst out = await (async () => { ${body} })();\nconsole.log(JSON.stringify(out));`;
  writeFileSync(join(dir, 'run.mjs'), script);
  const r = spawnSync(process.execPath, ['run.mjs'], { cwd: dir, encoding: 'utf8' });
  return {
    code: r.status,
    out: r.stdout.trim() ? JSON.parse(r.stdout.trim().split('\n').pop()!) : undefined,
    stderr: r.stderr,
  };
}

describe('backend discovery', () => {
  it('lists installed packages that declare a backend, and auto picks the highest priority', () => {
    const dir = project();
    const r = inProject(
      dir,
      `
      const status = await core.backendStatus();
      const auto = await core.resolveBackend('auto');
      return { status: status.map((s) => [s.name, s.packageName, s.installed, s.problem ?? '']), auto: auto.name };`,
    );
    expect(r.stderr).toBe('');
    const { status, auto } = r.out as { status: Array<[string, string, boolean, string]>; auto: string };
    expect(status.find((s) => s[0] === 'mine')).toEqual(['mine', 'tessera-backend-mine', true, '']);
    expect(status.find((s) => s[0] === 'fast')).toEqual(['fast', '@acme/tessera-backend-fast', true, '']);
    expect(status.find((s) => s[0] === 'broken')!.slice(0, 3)).toEqual(['broken', 'tessera-backend-broken', false]);
    expect(status.find((s) => s[0] === 'broken')![3]).toMatch(/does not export a Tessera backend/);
    expect(status.some((s) => s[0] === 'quiet')).toBe(false);
    expect(auto).toBe('mine');
  });

  it('loads a backend by its package name or its declared name', () => {
    const dir = project();
    const r = inProject(
      dir,
      `
      const a = await core.getBackend('tessera-backend-mine');
      const b = await core.getBackend('mine');
      const c = await core.getBackend('tessera-backend-quiet');
      const d = await core.getBackend('@acme/tessera-backend-fast');
      return [a.name, b.name, c.name, d.name, a === b];`,
    );
    expect(r.stderr).toBe('');
    expect(r.out).toEqual(['mine', 'mine', 'quiet', 'fast', true]);
  });

  it('says how to install a missing backend package, and explains unknown names', () => {
    const dir = project();
    const r = inProject(
      dir,
      `
      const err = async (f) => { try { await f(); return 'no error'; } catch (e) { return [e.code, e.message]; } };
      return [
        await err(() => core.getBackend('tessera-backend-nope')),
        await err(() => core.getBackend('nope')),
        await err(() => {
          core.registerBackend({ name: 'lazy', priority: 1, load: async () => (await import('tessera-backend-absent')).backend });
          return core.getBackend('lazy');
        }),
      ];`,
    );
    expect(r.stderr).toBe('');
    const [pkg, unknown, lazy] = r.out as Array<[string, string]>;
    expect(pkg[0]).toBe('BACKEND_NOT_INSTALLED');
    expect(pkg[1]).toMatch(/tessera-backend-nope is not installed\. Install it with: npm i tessera-backend-nope/);
    expect(unknown[0]).toBe('BACKEND_NOT_INSTALLED');
    expect(unknown[1]).toMatch(
      /unknown backend "nope".*Installed: .*mine.*third-party backend is named by its package \(tessera-backend-<name>\)/,
    );
    // A lazy loader whose package is missing names that package, not the backend's name.
    expect(lazy[0]).toBe('BACKEND_NOT_INSTALLED');
    expect(lazy[1]).toMatch(/tessera-backend-absent is not installed\. Install it with: npm i tessera-backend-absent/);
  });
});
