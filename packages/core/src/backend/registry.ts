import { pathToFileURL } from 'node:url';
import { TesseraError } from '../errors.js';
import { BACKEND_PACKAGE, discoverBackends, findPackageDir, packageEntry } from './discovery.js';
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
/** Backend objects registered by the application (not lazy package loaders): a name is bound once. */
const registered = new Map<string, Backend>();
/** Package names users may pass instead of a backend's name. */
const aliases = new Map<string, string>();
let discovered = false;

/** The backends Tessera publishes; each is tried by dynamic import of its package. */
const KNOWN: Array<Omit<BackendEntry, 'load'>> = [
  { name: 'onnx', priority: 30, packageName: '@tessera/backend-onnx' },
  { name: 'native', priority: 20, packageName: '@tessera/backend-native' },
  { name: 'tfjs', priority: 10, packageName: '@tessera/backend-tfjs' },
];

const NOT_FOUND = new Set(['ERR_MODULE_NOT_FOUND', 'MODULE_NOT_FOUND']);

/** The package a failed import was looking for, from Node's message. */
function missingModule(e: unknown): string | undefined {
  if (!NOT_FOUND.has((e as { code?: string }).code ?? '')) return undefined;
  return /Cannot find (?:package|module) '([^']+)'/.exec(String((e as Error).message))?.[1];
}

/** Imports a package from core's folder, else from wherever the user installed it. */
async function importPackage(packageName: string): Promise<unknown> {
  try {
    return await import(packageName);
  } catch (e) {
    if (missingModule(e) !== packageName) throw e;
    const dir = findPackageDir(packageName);
    if (!dir) throw e;
    return import(pathToFileURL(packageEntry(dir)).href);
  }
}

function notInstalled(packageName: string, cause?: unknown): TesseraError {
  return new TesseraError(
    'BACKEND_NOT_INSTALLED',
    `${packageName} is not installed. Install it with: npm i ${packageName}`,
    { package: packageName },
    { cause },
  );
}

function importBackend(packageName: string): () => Promise<Backend> {
  return async () => {
    let mod: { backend?: Backend; default?: Backend };
    try {
      mod = (await importPackage(packageName)) as { backend?: Backend; default?: Backend };
    } catch (e) {
      if (missingModule(e) === packageName) throw notInstalled(packageName, e);
      throw new TesseraError(
        'BACKEND_FAILED',
        `${packageName} is installed but failed to load: ${(e as Error).message}`,
        { package: packageName },
        { cause: e },
      );
    }
    const b = mod.backend ?? mod.default;
    if (!b || typeof b.load !== 'function' || typeof b.devices !== 'function')
      throw new TesseraError(
        'BACKEND_FAILED',
        `${packageName} does not export a Tessera backend (expected an export named "backend" with devices() and load())`,
        { package: packageName },
      );
    return b;
  };
}

for (const k of KNOWN) entries.set(k.name, { ...k, load: importBackend(k.packageName) });

/** Adds the installed packages that declare a backend (see discoverBackends), once. */
function ensureDiscovered(): void {
  if (discovered) return;
  discovered = true;
  for (const d of discoverBackends()) {
    aliases.set(d.packageName, d.name);
    if (!entries.has(d.name))
      entries.set(d.name, {
        name: d.name,
        priority: d.priority,
        packageName: d.packageName,
        load: importBackend(d.packageName),
      });
  }
}

/**
 * Registers a backend object or a lazy loader under a name. A backend object takes the place of
 * a package's lazy loader of the same name; registering the same object again does nothing; a
 * different object under a name another object holds is refused (unregister it first), as
 * onnxruntime-common refuses it, so two backends never answer to one name by accident.
 */
export function registerBackend(
  backend: Backend | (Omit<BackendEntry, 'packageName'> & { packageName?: string }),
): void {
  if ('devices' in backend) {
    const held = registered.get(backend.name);
    if (held === backend) return;
    if (held)
      throw new TesseraError(
        'BACKEND_CONFLICT',
        `a different backend is already registered as "${backend.name}" (priority ${held.priority}); call ` +
          `unregisterBackend("${backend.name}") first, or give this one another name`,
        { backend: backend.name },
      );
    registered.set(backend.name, backend);
    entries.set(backend.name, {
      name: backend.name,
      priority: backend.priority,
      packageName: backend.name,
      load: async () => backend,
    });
    loaded.set(backend.name, backend);
  } else {
    if (registered.has(backend.name))
      throw new TesseraError(
        'BACKEND_CONFLICT',
        `a backend object is already registered as "${backend.name}"; call unregisterBackend("${backend.name}") first`,
        { backend: backend.name },
      );
    entries.set(backend.name, { packageName: backend.name, ...backend });
    loaded.delete(backend.name);
  }
}

export function unregisterBackend(name: string): void {
  entries.delete(name);
  loaded.delete(name);
  registered.delete(name);
}

export function registeredBackends(): BackendEntry[] {
  ensureDiscovered();
  return [...entries.values()].sort((a, b) => b.priority - a.priority || a.name.localeCompare(b.name));
}

async function loadEntry(entry: BackendEntry): Promise<Backend> {
  const cached = loaded.get(entry.name);
  if (cached) return cached;
  let b: Backend;
  try {
    b = await entry.load();
  } catch (e) {
    if (e instanceof TesseraError) throw e;
    // A lazily registered loader whose package is missing.
    const missing = missingModule(e);
    if (missing) throw notInstalled(missing, e);
    throw new TesseraError(
      'BACKEND_FAILED',
      `backend "${entry.name}" failed to load: ${(e as Error).message}`,
      { backend: entry.name },
      { cause: e },
    );
  }
  loaded.set(entry.name, b);
  return b;
}

/** Loads a backend by name, or by the npm package that provides it. */
export async function getBackend(name: string): Promise<Backend> {
  ensureDiscovered();
  const entry =
    entries.get(name) ??
    entries.get(aliases.get(name) ?? '') ??
    [...entries.values()].find((e) => e.packageName === name);
  if (!entry && (BACKEND_PACKAGE.test(name) || name.includes('/'))) {
    // Any package that exports a backend, named directly.
    const b = await importBackend(name)();
    entries.set(b.name, { name: b.name, priority: b.priority, packageName: name, load: async () => b });
    aliases.set(name, b.name);
    loaded.set(b.name, b);
    return b;
  }
  if (!entry) {
    const installed = await installedBackends();
    throw new TesseraError(
      'BACKEND_NOT_INSTALLED',
      `unknown backend "${name}". Installed: ${installed.map((b) => b.name).join(', ') || 'none'}. Known: ${registeredBackends()
        .map((e) => `${e.name} (npm i ${e.packageName})`)
        .join(', ')}. A third-party backend is named by its package (tessera-backend-<name>)`,
      { backend: name },
    );
  }
  try {
    return await loadEntry(entry);
  } catch (e) {
    if (e instanceof TesseraError && e.code === 'BACKEND_NOT_INSTALLED') {
      const installed = await installedBackends(entry.name);
      throw new TesseraError(
        'BACKEND_NOT_INSTALLED',
        `${e.message}. Installed backends: ${installed.map((b) => b.name).join(', ') || 'none'}`,
        { backend: name, package: (e.details.package as string | undefined) ?? entry.packageName },
        { cause: e },
      );
    }
    throw e;
  }
}

/** A known backend that did not load, and why. */
export interface BackendProblem {
  name: string;
  packageName: string;
  /** BACKEND_NOT_INSTALLED, or BACKEND_FAILED for an installed package that failed to load. */
  code: string;
  message: string;
}

/** Every known backend, loaded where it loads, with the reason for each that does not. */
export async function loadBackends(except?: string): Promise<{ backends: Backend[]; problems: BackendProblem[] }> {
  const backends: Backend[] = [];
  const problems: BackendProblem[] = [];
  for (const e of registeredBackends()) {
    if (e.name === except) continue;
    try {
      backends.push(await loadEntry(e));
    } catch (err) {
      problems.push({
        name: e.name,
        packageName: e.packageName,
        code: err instanceof TesseraError ? err.code : 'BACKEND_FAILED',
        message: (err as Error).message,
      });
    }
  }
  return { backends, problems };
}

/** Backends whose packages load, highest priority first. */
export async function installedBackends(except?: string): Promise<Backend[]> {
  return (await loadBackends(except)).backends;
}

/** What 'auto' found: the backend it picked, and every higher-priority one it skipped, with why. */
export interface AutoChoice {
  backend: Backend;
  /** Installed backends that failed to load (a broken install), above or below the one picked. */
  broken: BackendProblem[];
}

/** backend: 'auto' picks the highest-priority backend that loads, and says which ones failed and why. */
export async function resolveAutoBackend(): Promise<AutoChoice> {
  const { backends, problems } = await loadBackends();
  if (!backends.length) {
    const tried = problems.map((p) => `${p.name} (${p.packageName}): ${p.message}`).join('; ');
    throw new TesseraError(
      'BACKEND_NOT_INSTALLED',
      `no Tessera backend could be loaded. Tried: ${tried || 'none known'}. Install one, for example: npm i @tessera/backend-onnx`,
      { tried: problems },
    );
  }
  return { backend: backends[0]!, broken: problems.filter((p) => p.code !== 'BACKEND_NOT_INSTALLED') };
}

/** backend: 'auto' picks the highest-priority backend that loads. */
export async function resolveBackend(name: string | Backend | undefined): Promise<Backend> {
  if (name && typeof name === 'object') return name;
  if (name && name !== 'auto') return getBackend(name);
  return (await resolveAutoBackend()).backend;
}

export interface BackendStatus {
  name: string;
  packageName: string;
  priority: number;
  installed: boolean;
  /** Why it is not usable (not installed, or failed to load). */
  problem?: string;
  /** BACKEND_NOT_INSTALLED, or BACKEND_FAILED when the package is there but does not load. */
  problemCode?: string;
  devices?: Awaited<ReturnType<Backend['devices']>>;
}

/** Every known backend with whether it loads, its devices, and what to do when it does not. */
export async function backendStatus(): Promise<BackendStatus[]> {
  const out: BackendStatus[] = [];
  for (const e of registeredBackends()) {
    try {
      const b = await loadEntry(e);
      out.push({
        name: e.name,
        packageName: e.packageName,
        priority: e.priority,
        installed: true,
        devices: await b.devices(),
      });
    } catch (err) {
      const problemCode = err instanceof TesseraError ? err.code : 'BACKEND_FAILED';
      out.push({
        name: e.name,
        packageName: e.packageName,
        priority: e.priority,
        installed: false,
        problem: (err as Error).message,
        problemCode,
      });
    }
  }
  return out;
}
