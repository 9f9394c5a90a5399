import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { TesseraError } from '../errors.js';
import type { Backend } from './types.js';

/** A backend known by name; `load` imports its package only when it is needed. */
export interface BackendEntry {
  name: string;
  priority: number;
  /** npm package that provides it, for install hints. */
  packageName: string;
  load: () => Promise<Backend>;
}

const entries = new Map<string, BackendEntry>();
const loaded = new Map<string, Backend>();

/** The backends Tessera publishes; each is tried by dynamic import of its package. */
const KNOWN: Array<Omit<BackendEntry, 'load'>> = [
  { name: 'onnx', priority: 30, packageName: '@tessera/backend-onnx' },
  { name: 'native', priority: 20, packageName: '@tessera/backend-native' },
  { name: 'tfjs', priority: 10, packageName: '@tessera/backend-tfjs' },
];

const isNotFound = (e: unknown, name: string): boolean => {
  const code = (e as { code?: string }).code;
  return (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && String((e as Error).message).includes(name);
};

/**
 * Imports a backend package. Core itself may not see it (pnpm keeps dependencies private), so
 * the package is also looked up from the working directory and from the running script.
 */
async function importFromAnywhere(packageName: string): Promise<unknown> {
  try {
    return await import(packageName);
  } catch (e) {
    if (!isNotFound(e, packageName)) throw e;
    const bases = [join(process.cwd(), 'package.json'), ...(process.argv[1] ? [join(dirname(process.argv[1]), 'noop.js')] : [])];
    for (const base of bases) {
      let resolved: string;
      try {
        resolved = createRequire(base).resolve(packageName);
      } catch {
        continue;
      }
      return import(pathToFileURL(resolved).href);
    }
    throw e;
  }
}

function importBackend(packageName: string): () => Promise<Backend> {
  return async () => {
    let mod: { backend?: Backend; default?: Backend };
    try {
      mod = (await importFromAnywhere(packageName)) as { backend?: Backend; default?: Backend };
    } catch (e) {
      if (isNotFound(e, packageName)) throw notInstalled(packageName, e);
      throw new TesseraError('BACKEND_FAILED', `${packageName} is installed but failed to load: ${(e as Error).message}`, { package: packageName }, { cause: e });
    }
    const b = mod.backend ?? mod.default;
    if (!b || typeof b.load !== 'function') throw new TesseraError('BACKEND_FAILED', `${packageName} does not export a Tessera backend (expected an export named "backend")`, { package: packageName });
    return b;
  };
}

function notInstalled(packageName: string, cause?: unknown): TesseraError {
  return new TesseraError('BACKEND_NOT_INSTALLED', `${packageName} is not installed. Install it with: npm i ${packageName}`, { package: packageName }, { cause });
}

for (const k of KNOWN) entries.set(k.name, { ...k, load: importBackend(k.packageName) });

/** Registers a backend object or a lazy loader under a name. A later registration replaces an earlier one. */
export function registerBackend(backend: Backend | (Omit<BackendEntry, 'packageName'> & { packageName?: string })): void {
  if ('devices' in backend) {
    entries.set(backend.name, { name: backend.name, priority: backend.priority, packageName: backend.name, load: async () => backend });
    loaded.set(backend.name, backend);
  } else {
    entries.set(backend.name, { packageName: backend.name, ...backend });
    loaded.delete(backend.name);
  }
}

export function unregisterBackend(name: string): void {
  entries.delete(name);
  loaded.delete(name);
}

export function registeredBackends(): BackendEntry[] {
  return [...entries.values()].sort((a, b) => b.priority - a.priority || a.name.localeCompare(b.name));
}

/** Loads a backend by name. */
export async function getBackend(name: string): Promise<Backend> {
  const cached = loaded.get(name);
  if (cached) return cached;
  const entry = entries.get(name);
  if (!entry) {
    const installed = await installedBackends();
    throw new TesseraError(
      'BACKEND_NOT_INSTALLED',
      `unknown backend "${name}". Installed: ${installed.map((b) => b.name).join(', ') || 'none'}. Known: ${registeredBackends().map((e) => `${e.name} (npm i ${e.packageName})`).join(', ')}`,
      { backend: name },
    );
  }
  try {
    const b = await entry.load();
    loaded.set(name, b);
    return b;
  } catch (e) {
    if (e instanceof TesseraError && e.code === 'BACKEND_NOT_INSTALLED') {
      const installed = await installedBackends(name);
      throw new TesseraError('BACKEND_NOT_INSTALLED', `${e.message}. Installed backends: ${installed.map((b) => b.name).join(', ') || 'none'}`, { backend: name, package: entry.packageName }, { cause: e });
    }
    throw e;
  }
}

/** Backends whose packages load, highest priority first. */
export async function installedBackends(except?: string): Promise<Backend[]> {
  const out: Backend[] = [];
  for (const e of registeredBackends()) {
    if (e.name === except) continue;
    try {
      out.push(loaded.get(e.name) ?? (await e.load()));
      loaded.set(e.name, out[out.length - 1]!);
    } catch {
      // Not installed or broken: skipped here, reported when named explicitly.
    }
  }
  return out;
}

/** backend: 'auto' picks the highest-priority backend that loads. */
export async function resolveBackend(name: string | Backend | undefined): Promise<Backend> {
  if (name && typeof name === 'object') return name;
  if (name && name !== 'auto') return getBackend(name);
  const all = await installedBackends();
  if (!all.length)
    throw new TesseraError('BACKEND_NOT_INSTALLED', `no Tessera backend is installed. Install one, for example: npm i @tessera/backend-onnx`, {});
  return all[0]!;
}

export interface BackendStatus {
  name: string;
  packageName: string;
  priority: number;
  installed: boolean;
  /** Why it is not usable (not installed, or failed to load). */
  problem?: string;
  devices?: Awaited<ReturnType<Backend['devices']>>;
}

/** Every known backend with whether it loads, its devices, and what to do when it does not. */
export async function backendStatus(): Promise<BackendStatus[]> {
  const out: BackendStatus[] = [];
  for (const e of registeredBackends()) {
    try {
      const b = loaded.get(e.name) ?? (await e.load());
      loaded.set(e.name, b);
      out.push({ name: e.name, packageName: e.packageName, priority: e.priority, installed: true, devices: await b.devices() });
    } catch (err) {
      out.push({ name: e.name, packageName: e.packageName, priority: e.priority, installed: false, problem: (err as Error).message });
    }
  }
  return out;
}
