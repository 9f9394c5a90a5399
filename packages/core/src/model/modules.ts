import { TesseraError } from '../errors.js';
import type { ModelFiles } from '../io/model-files.js';
import { readJsonObject, type Json } from './json.js';

/** What each module of a sentence-transformers / PyLate modules.json is, by its class. */
export type ModuleRole = 'transformer' | 'dense' | 'pooling' | 'normalize' | 'multi-vector-mask' | 'token-pooling';

export interface StModule {
  role: ModuleRole;
  /** The class name as saved ("pylate.models.Dense.Dense"). */
  type: string;
  /** Folder of the module, absolute. */
  dir: string;
}

// Class names by the name after the last dot, which is stable across the renames of
// sentence-transformers 2-6 (sentence_transformers.models.X, sentence_transformers.base.modules.x.X).
const ROLES: Record<string, ModuleRole> = {
  Transformer: 'transformer',
  Dense: 'dense',
  Pooling: 'pooling',
  Normalize: 'normalize',
  MultiVectorMask: 'multi-vector-mask',
  HierarchicalTokenPooling: 'token-pooling',
};

function invalid(message: string, details: Record<string, unknown>): TesseraError {
  return new TesseraError('INVALID_MODEL', message, details);
}

/** Reads modules.json; undefined when the folder has none. Unknown module classes are an error naming the class. */
export function readModules(files: ModelFiles, dir: string): StModule[] | undefined {
  const file = files.join(dir, 'modules.json');
  const raw = readJsonObject(files, file);
  if (raw === undefined) return undefined;
  if (!Array.isArray(raw)) throw invalid(`${file}: expected an array of modules`, { file });
  return (raw as unknown[]).map((m, i) => {
    const mod = m as Json;
    if (!mod || typeof mod.type !== 'string' || typeof (mod.path ?? '') !== 'string')
      throw invalid(`${file}: module ${i} needs string "type" and "path"`, { file, field: `[${i}]` });
    const type = mod.type;
    const role = ROLES[type.slice(type.lastIndexOf('.') + 1)];
    if (!role) {
      throw invalid(
        `${file}: module ${i} has type ${type}, which Tessera does not know (it reads Transformer, Dense, Pooling, Normalize and MultiVectorMask modules)`,
        { file, field: type },
      );
    }
    const path = (mod.path as string | undefined) ?? '';
    if (path.split(/[\\/]/).includes('..'))
      throw invalid(`${file}: module ${i} path "${path}" leaves the model folder`, { file, field: `[${i}].path` });
    return { role, type, dir: files.join(dir, path) };
  });
}

/** The module's config.json (empty when the module has none, as Normalize often does). */
export function moduleConfig(files: ModelFiles, m: StModule): { cfg: Json; file: string } {
  const file = files.join(m.dir, 'config.json');
  return { cfg: readJsonObject(files, file) ?? {}, file };
}
