import { TesseraError } from '../errors.js';
import type { Backend } from '../backend/types.js';
import { fetchModelFiles } from '../browser/fetch-model.js';
import { readModelSpec } from '../model/load-folder.js';
import type { Platform } from './types.js';

/** Backends a page registered (a page cannot look for installed packages). */
const backends = new Map<string, Backend>();

/** Makes a backend available by name to Tessera.create in a page; @tessera/backend-web registers itself. */
export function registerBackend(backend: Backend): void {
  const held = backends.get(backend.name);
  if (held && held !== backend)
    throw new TesseraError('BACKEND_CONFLICT', `a different backend is already registered as "${backend.name}"`, {
      backend: backend.name,
    });
  backends.set(backend.name, backend);
}

/** Tessera.create in a page: registered backends, models fetched from a URL or given as files. */
export const platform: Platform = {
  registerBackend,

  async chooseBackend(name) {
    if (name && typeof name === 'object') return name;
    const pick =
      name && name !== 'auto' ? backends.get(name) : [...backends.values()].sort((a, b) => b.priority - a.priority)[0];
    if (!pick)
      throw new TesseraError(
        'BACKEND_NOT_INSTALLED',
        `${name && name !== 'auto' ? `backend "${name}" is` : 'no backend is'} registered in this page ` +
          `(registered: ${[...backends.keys()].join(', ') || 'none'}); import '@tessera/backend-web' first, or pass a backend object`,
        { backend: name ?? 'auto' },
      );
    return pick;
  },

  async openModel(options) {
    const files =
      options.files ??
      (options.model
        ? await fetchModelFiles(options.model, { dtype: options.dtype, onProgress: options.onDownloadProgress })
        : undefined);
    if (!files)
      throw new TesseraError('INVALID_OPTION', 'in a browser, give model (the URL of a model folder) or files', {
        field: 'model',
      });
    const dir = 'root' in files && typeof files.root === 'string' ? files.root : (options.model ?? '');
    const spec = await readModelSpec(files, dir, { colbert: options.colbert, dimensions: options.dimensions });
    return { spec, ref: dir };
  },

  async memoryBudget() {
    return undefined;
  },
};
