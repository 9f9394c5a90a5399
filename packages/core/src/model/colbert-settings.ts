import { TesseraError } from '../errors.js';
import { field, isBool, isInt, isStr, isStrArray, type Json } from './json.js';
import type { ColbertSettings, EncodeRoleName, QueryExpansion } from './spec.js';

/** ASCII punctuation, the skiplist of both reference implementations. */
export const ASCII_PUNCTUATION = [...'!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~'];

/** colbert-ai's ColBERTConfig defaults (colbert/infra/config/settings.py). */
export const STANFORD_DEFAULTS = {
  queryMarker: '[unused0]',
  documentMarker: '[unused1]',
  queryLength: 32,
  documentLength: 220,
  attend: false,
  maskPunctuation: true,
};
/** PyLate's ColBERT defaults (pylate/models/colbert.py). */
export const PYLATE_DEFAULTS = {
  queryMarker: '[Q] ',
  documentMarker: '[D] ',
  queryLength: 32,
  documentLength: 180,
  attend: false,
  expansion: true,
};

/** Settings a caller may force; they win over the checkpoint's. */
export interface ColbertOverrides {
  queryMarker?: string | null;
  documentMarker?: string | null;
  queryLength?: number;
  documentLength?: number;
  attendToExpansion?: boolean;
  /** false turns query expansion off; an object replaces it. */
  queryExpansion?: boolean | QueryExpansion;
  skiplistWords?: string[];
  queryPrompt?: string;
  documentPrompt?: string;
}

interface Source {
  cfg: Json;
  file: string;
}

const positive = 'a positive integer';

/** colbert-ai's artifact.metadata; the fields may also sit under a "config" key. */
function fromStanford(meta: Source | undefined): ColbertSettings {
  const file = meta?.file ?? 'artifact.metadata';
  const raw = meta?.cfg ?? {};
  const cfg = raw.config && typeof raw.config === 'object' ? { ...(raw.config as Json), ...raw } : raw;
  const queryLength = field(cfg, 'query_maxlen', isInt, file, positive) ?? STANFORD_DEFAULTS.queryLength;
  const attend = field(cfg, 'attend_to_mask_tokens', isBool, file, 'a boolean') ?? STANFORD_DEFAULTS.attend;
  const mask = field(cfg, 'mask_punctuation', isBool, file, 'a boolean') ?? STANFORD_DEFAULTS.maskPunctuation;
  return {
    markerMode: 'placeholder',
    queryMarker: field(cfg, 'query_token_id', isStr, file, 'a string') ?? STANFORD_DEFAULTS.queryMarker,
    documentMarker: field(cfg, 'doc_token_id', isStr, file, 'a string') ?? STANFORD_DEFAULTS.documentMarker,
    queryPrompt: '',
    documentPrompt: '',
    queryLength,
    documentLength: field(cfg, 'doc_maxlen', isInt, file, positive) ?? STANFORD_DEFAULTS.documentLength,
    // colbert-ai always pads queries with [MASK] to query_maxlen.
    queryExpansion: { strategy: 'fixed', attend, token: null, length: queryLength },
    skiplistWords: mask ? ASCII_PUNCTUATION : [],
    skiplistUnknown: 'encode',
    skiplistRoles: ['document'],
    expansionScored: true,
    keepOnlyTokenIds: null,
  };
}

/** The prompt a role uses: multi-vector picks the role's own prompt first, PyLate only the default prompt. */
function rolePrompt(prompts: Record<string, string>, defaultName: string | null, names: string[]): string {
  const own = names.find((n) => n in prompts);
  if (own !== undefined) return prompts[own]!;
  return defaultName !== null ? (prompts[defaultName] ?? '') : '';
}

/** PyLate's config_sentence_transformers.json. An empty prefix means "no marker". */
function fromPylate(
  st: Source | undefined,
  prompts: Record<string, string>,
  defaultPromptName: string | null,
): ColbertSettings {
  const file = st?.file ?? 'config_sentence_transformers.json';
  const cfg = st?.cfg ?? {};
  const qp = field(cfg, 'query_prefix', isStr, file, 'a string') ?? PYLATE_DEFAULTS.queryMarker;
  const dp = field(cfg, 'document_prefix', isStr, file, 'a string') ?? PYLATE_DEFAULTS.documentMarker;
  const queryLength = field(cfg, 'query_length', isInt, file, positive) ?? PYLATE_DEFAULTS.queryLength;
  const expansion = field(cfg, 'do_query_expansion', isBool, file, 'a boolean') ?? PYLATE_DEFAULTS.expansion;
  // PyLate turns attention to the expansion tokens off when it does not expand.
  const attend =
    expansion && (field(cfg, 'attend_to_expansion_tokens', isBool, file, 'a boolean') ?? PYLATE_DEFAULTS.attend);
  // PyLate applies the default prompt (not a role prompt) to queries and documents alike.
  const prompt = rolePrompt(prompts, defaultPromptName, []);
  return {
    markerMode: 'insert',
    queryMarker: qp === '' ? null : qp,
    documentMarker: dp === '' ? null : dp,
    queryPrompt: prompt,
    documentPrompt: prompt,
    queryLength,
    documentLength: field(cfg, 'document_length', isInt, file, positive) ?? PYLATE_DEFAULTS.documentLength,
    queryExpansion: expansion ? { strategy: 'fixed', attend, token: null, length: queryLength } : null,
    skiplistWords: field(cfg, 'skiplist_words', isStrArray, file, 'an array of strings') ?? [...ASCII_PUNCTUATION],
    skiplistUnknown: 'unk',
    skiplistRoles: ['document'],
    expansionScored: true,
    keepOnlyTokenIds: null,
  };
}

function parseExpansion(v: unknown, file: string): QueryExpansion | null {
  if (v === undefined || v === null) return null;
  const bad = (what: string) =>
    new TesseraError('INVALID_MODEL', `${file}: field "query_expansion" ${what}, got ${JSON.stringify(v)}`, {
      file,
      field: 'query_expansion',
    });
  if (typeof v !== 'object' || Array.isArray(v)) throw bad('must be an object or null');
  const o = v as Json;
  const unknown = Object.keys(o).filter((k) => !['strategy', 'attend', 'token', 'length'].includes(k));
  if (unknown.length) throw bad(`has unknown keys ${unknown.join(', ')}`);
  if (o.strategy !== 'fixed' && o.strategy !== 'min') throw bad('needs "strategy" "fixed" or "min"');
  if (o.attend !== undefined && typeof o.attend !== 'boolean') throw bad('needs a boolean "attend"');
  if (o.token !== undefined && o.token !== null && typeof o.token !== 'string')
    throw bad('needs a string or null "token"');
  if (!isInt(o.length)) throw bad('needs a positive integer "length"');
  return {
    strategy: o.strategy,
    attend: o.attend === true,
    token: (o.token as string | null | undefined) ?? null,
    length: o.length,
  };
}

/** sentence-transformers 6 MultiVectorEncoder: the Transformer's sentence_bert_config.json and the MultiVectorMask module. */
function fromMultiVector(
  transformer: Source,
  mask: Source | undefined,
  prompts: Record<string, string>,
  defaultPromptName: string | null,
): Omit<ColbertSettings, 'documentLength'> & { documentLength: number | undefined } {
  const { cfg, file } = transformer;
  const m = mask?.cfg ?? {};
  const mfile = mask?.file ?? 'MultiVectorMask';
  const tasks =
    m.skiplist_tasks === undefined || m.skiplist_tasks === null
      ? ['document']
      : typeof m.skiplist_tasks === 'string'
        ? [m.skiplist_tasks]
        : field(m, 'skiplist_tasks', isStrArray, mfile, 'a string or an array of strings')!;
  const keep = m.keep_only_token_ids;
  if (keep !== undefined && keep !== null && !(Array.isArray(keep) && keep.every((x) => Number.isInteger(x) && x >= 0)))
    throw new TesseraError(
      'INVALID_MODEL',
      `${mfile}: field "keep_only_token_ids" must be an array of token ids or null`,
      { file: mfile, field: 'keep_only_token_ids' },
    );
  const queryExpansion = parseExpansion(cfg.query_expansion, file);
  const queryLength = field(cfg, 'query_length', isInt, file, positive);
  if (queryExpansion && queryLength !== undefined && queryLength < queryExpansion.length)
    throw new TesseraError(
      'INVALID_MODEL',
      `${file}: query_length ${queryLength} is smaller than query_expansion.length ${queryExpansion.length}`,
      { file, field: 'query_length' },
    );
  return {
    markerMode: 'prompt',
    queryMarker: null,
    documentMarker: null,
    queryPrompt: rolePrompt(prompts, defaultPromptName, ['query']),
    documentPrompt: rolePrompt(prompts, defaultPromptName, ['document', 'passage', 'corpus']),
    queryLength,
    documentLength: field(cfg, 'document_length', isInt, file, positive),
    queryExpansion,
    skiplistWords: mask ? (field(m, 'skiplist_words', isStrArray, mfile, 'an array of strings') ?? []) : [],
    skiplistUnknown: 'drop',
    skiplistRoles: tasks.filter((t): t is EncodeRoleName => t === 'query' || t === 'document'),
    // Without a MultiVectorMask the rows are those the encoder attended to.
    expansionScored: mask !== undefined,
    keepOnlyTokenIds: (keep as number[] | null | undefined) ?? null,
  };
}

export type ColbertSource =
  | { layout: 'stanford'; metadata: Source | undefined }
  | { layout: 'pylate'; st: Source | undefined; prompts: Record<string, string>; defaultPromptName: string | null }
  | {
      layout: 'multi-vector';
      transformer: Source;
      mask: Source | undefined;
      prompts: Record<string, string>;
      defaultPromptName: string | null;
    };

/**
 * Resolves a folder's ColBERT settings the way the library that wrote the layout does, then applies
 * the caller's overrides. `modelLimit` is the longest input the backbone takes (the default
 * document length of multi-vector folders, as sentence-transformers uses the tokenizer's limit).
 */
export function resolveColbertSettings(
  source: ColbertSource,
  overrides: ColbertOverrides | undefined,
  modelLimit: number,
): ColbertSettings {
  const base =
    source.layout === 'stanford'
      ? fromStanford(source.metadata)
      : source.layout === 'pylate'
        ? fromPylate(source.st, source.prompts, source.defaultPromptName)
        : fromMultiVector(source.transformer, source.mask, source.prompts, source.defaultPromptName);
  const s: ColbertSettings = { ...base, documentLength: base.documentLength ?? modelLimit };
  const o = overrides ?? {};
  if (o.queryMarker !== undefined) s.queryMarker = o.queryMarker;
  if (o.documentMarker !== undefined) s.documentMarker = o.documentMarker;
  if (o.queryPrompt !== undefined) s.queryPrompt = o.queryPrompt;
  if (o.documentPrompt !== undefined) s.documentPrompt = o.documentPrompt;
  if (o.documentLength !== undefined) s.documentLength = o.documentLength;
  if (o.skiplistWords !== undefined) s.skiplistWords = o.skiplistWords;
  if (o.queryExpansion === false) s.queryExpansion = null;
  else if (typeof o.queryExpansion === 'object') s.queryExpansion = { ...o.queryExpansion };
  else if (o.queryExpansion === true && !s.queryExpansion)
    s.queryExpansion = { strategy: 'fixed', attend: false, token: null, length: s.queryLength ?? 32 };
  if (o.queryLength !== undefined) {
    s.queryLength = o.queryLength;
    // In the legacy layouts the query length is also the expansion target.
    if (s.queryExpansion && source.layout !== 'multi-vector')
      s.queryExpansion = { ...s.queryExpansion, length: o.queryLength };
  }
  if (o.attendToExpansion !== undefined && s.queryExpansion)
    s.queryExpansion = { ...s.queryExpansion, attend: o.attendToExpansion };
  for (const [key, v] of [
    ['queryLength', s.queryLength],
    ['documentLength', s.documentLength],
    ['queryExpansion.length', s.queryExpansion?.length],
  ] as const) {
    if (v !== undefined && (!Number.isInteger(v) || v < 1))
      throw new TesseraError('INVALID_OPTION', `${key} must be a positive integer (got ${v})`, { field: key });
  }
  const fixed = s.markerMode === 'prompt' ? 1 : 3;
  if (s.queryLength !== undefined && s.queryLength < fixed)
    throw new TesseraError('INVALID_OPTION', `queryLength must be at least ${fixed} (got ${s.queryLength})`, {
      field: 'queryLength',
    });
  if (s.documentLength < fixed)
    throw new TesseraError('INVALID_OPTION', `documentLength must be at least ${fixed} (got ${s.documentLength})`, {
      field: 'documentLength',
    });
  return s;
}
