import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/**
 * Finding backend packages the user installed. Core cannot simply import them: under pnpm (and
 * with a global CLI) a package installed next to the user's code is invisible from core's own
 * folder, so installed packages are looked up where Node would look from the user's working
 * directory and from the running script. No library does this lookup for an arbitrary parent.
 */

/** A backend package that declares itself in its package.json. */
export interface DiscoveredBackend {
  packageName: string;
  dir: string;
  /** The name users pass as { backend } (the package name works too). */
  name: string;
  priority: number;
}

/** Package names that may hold a third-party backend: tessera-backend-*, @scope/tessera-backend-*. */
export const BACKEND_PACKAGE = /^(@[\w.-]+\/)?tessera-backend-[\w.-]+$/;

function ancestors(start: string): string[] {
  const out: string[] = [];
  let d = resolve(start);
  for (;;) {
    out.push(d);
    const up = dirname(d);
    if (up === d) return out;
    d = up;
  }
}

/** node_modules folders Node would search from the working directory and from the running script. */
export function nodeModulesDirs(): string[] {
  const starts = [process.cwd(), ...(process.argv[1] ? [dirname(resolve(process.argv[1]))] : [])];
  const seen = new Set<string>();
  for (const s of starts)
    for (const a of ancestors(s)) {
      const nm = join(a, 'node_modules');
      if (!seen.has(nm) && existsSync(nm)) seen.add(nm);
    }
  return [...seen];
}

function readPackageJson(dir: string): Record<string, unknown> | undefined {
  try {
    const v = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as unknown;
    return v && typeof v === 'object' ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The folder of an installed package, wherever it lives, or undefined. */
export function findPackageDir(name: string): string | undefined {
  for (const nm of nodeModulesDirs()) {
    const dir = join(nm, ...name.split('/'));
    if (existsSync(join(dir, 'package.json'))) return dir;
  }
  return undefined;
}

/** The file an ESM import of the package loads: exports "." (import / node / default), else main, else index.js. */
export function packageEntry(dir: string): string {
  const pkg = readPackageJson(dir) ?? {};
  const pick = (v: unknown): string | undefined => {
    if (typeof v === 'string') return v;
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const o = v as Record<string, unknown>;
      if ('.' in o) return pick(o['.']);
      for (const k of ['import', 'node', 'default']) if (k in o) return pick(o[k]);
    }
    return undefined;
  };
  const rel = pick(pkg.exports) ?? (typeof pkg.main === 'string' ? pkg.main : 'index.js');
  return join(dir, rel);
}

/**
 * Installed packages named like backends (tessera-backend-*, @scope/tessera-backend-*) whose
 * package.json declares { "tessera": { "backend": { "name": "mine", "priority": 5 } } }.
 * Reads package.json files only; nothing is imported.
 */
export function discoverBackends(): DiscoveredBackend[] {
  const found = new Map<string, DiscoveredBackend>();
  const consider = (packageName: string, dir: string) => {
    if (found.has(packageName) || !BACKEND_PACKAGE.test(packageName)) return;
    const decl = (readPackageJson(dir)?.tessera as { backend?: { name?: unknown; priority?: unknown } } | undefined)
      ?.backend;
    if (!decl || typeof decl.name !== 'string' || !decl.name) return;
    found.set(packageName, {
      packageName,
      dir,
      name: decl.name,
      priority: typeof decl.priority === 'number' ? decl.priority : 0,
    });
  };
  for (const nm of nodeModulesDirs()) {
    let names: string[];
    try {
      names = readdirSync(nm);
    } catch {
      continue;
    }
    for (const n of names) {
      if (n.startsWith('@')) {
        let scoped: string[] = [];
        try {
          if (statSync(join(nm, n)).isDirectory()) scoped = readdirSync(join(nm, n));
        } catch {
          // unreadable scope folder: skipped
        }
        for (const s of scoped) if (s.startsWith('tessera-backend-')) consider(`${n}/${s}`, join(nm, n, s));
      } else if (n.startsWith('tessera-backend-')) consider(n, join(nm, n));
    }
  }
  return [...found.values()];
}
