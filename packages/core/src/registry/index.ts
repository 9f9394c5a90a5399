import { readFileSync } from 'node:fs';
import { TesseraError } from '../errors.js';

export interface ModelEntry {
  id: string;
  repo: string;
  revision: string;
  kind: 'colbert' | 'dense';
  architecture: 'bert' | 'distilbert' | 'roberta' | 'xlm-roberta' | 'modernbert';
  hiddenSize: number;
  dimension: number;
  dimensions: number[];
  queryLength?: number;
  documentLength?: number;
  queryMarker?: string | null;
  documentMarker?: string | null;
  pooling?: 'cls' | 'mean' | 'max' | 'lasttoken';
  backends: Record<string, string[]>;
  license: string;
  verified: string[];
  default?: boolean;
}

// A hand-written check rather than a schema library: it validates one bundled file of a dozen
// fields, and zod alone would have been 7.5 of core's installed megabytes.
type Check = (v: unknown) => string | undefined;
const str: Check = (v) => (typeof v === 'string' && v.length > 0 ? undefined : 'expected a non-empty string');
const posInt: Check = (v) => (Number.isInteger(v) && (v as number) > 0 ? undefined : 'expected a positive integer');
const oneOf =
  (...opts: string[]): Check =>
  (v) =>
    opts.includes(v as string) ? undefined : `expected one of ${opts.join(', ')}`;
const optional =
  (c: Check): Check =>
  (v) =>
    v === undefined ? undefined : c(v);
const nullableStr: Check = (v) => (v === null || typeof v === 'string' ? undefined : 'expected a string or null');
const strArray =
  (nonEmpty: boolean): Check =>
  (v) =>
    Array.isArray(v) && v.every((x) => typeof x === 'string' && (!nonEmpty || x.length > 0))
      ? undefined
      : 'expected an array of strings';

const FIELDS: Record<keyof ModelEntry, Check> = {
  id: str,
  repo: (v) => str(v) ?? (/^[\w.-]+\/[\w.-]+$/.test(v as string) ? undefined : 'must be "org/name"'),
  revision: str,
  kind: oneOf('colbert', 'dense'),
  architecture: oneOf('bert', 'distilbert', 'roberta', 'xlm-roberta', 'modernbert'),
  hiddenSize: posInt,
  dimension: posInt,
  dimensions: (v) =>
    Array.isArray(v) && v.length > 0 && v.every((x) => posInt(x) === undefined)
      ? undefined
      : 'expected a non-empty array of positive integers',
  queryLength: optional(posInt),
  documentLength: optional(posInt),
  queryMarker: optional(nullableStr),
  documentMarker: optional(nullableStr),
  pooling: optional(oneOf('cls', 'mean', 'max', 'lasttoken')),
  backends: (v) =>
    v && typeof v === 'object' && !Array.isArray(v) && Object.values(v).every((x) => strArray(true)(x) === undefined)
      ? undefined
      : 'expected an object of string arrays',
  license: str,
  verified: strArray(false),
  default: optional((v) => (typeof v === 'boolean' ? undefined : 'expected a boolean')),
};

/** Validates registry JSON; errors name the entry and field. */
export function parseRegistry(json: unknown, source = 'registry'): ModelEntry[] {
  const fail = (path: string, message: string): never => {
    throw new TesseraError('INVALID_MODEL', `${source}: ${path}: ${message}`, { file: source, field: path });
  };
  if (!json || typeof json !== 'object' || Array.isArray(json)) fail('', 'expected an object with "models"');
  const top = json as Record<string, unknown>;
  for (const k of Object.keys(top)) if (k !== 'models' && k !== '$comment') fail(k, 'unrecognized key');
  if (!Array.isArray(top.models)) fail('models', 'expected an array');
  const ids = new Set<string>();
  return (top.models as unknown[]).map((raw, i) => {
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return fail(`models.${i}`, 'expected an object');
    const m = raw as Record<string, unknown>;
    for (const k of Object.keys(m)) if (!Object.hasOwn(FIELDS, k)) fail(`models.${i}.${k}`, 'unrecognized key');
    for (const [k, check] of Object.entries(FIELDS)) {
      const why = check(m[k]);
      if (why) fail(`models.${i}.${k}`, why);
    }
    const e = m as unknown as ModelEntry;
    if (!e.dimensions.includes(e.dimension)) fail(`models.${i}`, 'dimensions must include dimension');
    if (e.kind === 'dense' && e.pooling === undefined) fail(`models.${i}`, 'dense models need pooling');
    if (ids.has(e.id)) fail(`models.${i}`, `duplicate model id ${e.id}`);
    ids.add(e.id);
    return e;
  });
}

let cached: ModelEntry[] | undefined;

/** The bundled registry, in file order. */
export function listModels(): ModelEntry[] {
  if (!cached) {
    const url = new URL('./models.json', import.meta.url);
    cached = parseRegistry(JSON.parse(readFileSync(url, 'utf8')), url.pathname);
  }
  return cached;
}

export function findModel(id: string): ModelEntry | undefined {
  return listModels().find((m) => m.id === id);
}

export function defaultModel(): ModelEntry {
  return listModels().find((m) => m.default) ?? listModels()[0]!;
}
