import { TesseraError } from '../errors.js';
import { field, isBool, isInt, isStr, isStrArray, type Json } from './json.js';
import type { ColbertSettings } from './spec.js';

/** ASCII punctuation, the skiplist of both reference implementations. */
export const ASCII_PUNCTUATION = [...'!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~'];

export const COLBERT_DEFAULTS: ColbertSettings = {
  queryMarker: '[unused0]',
  documentMarker: '[unused1]',
  queryLength: 32,
  documentLength: 180,
  attendToExpansion: false,
  queryExpansion: true,
  skiplistWords: ASCII_PUNCTUATION,
};

export type ColbertOverrides = Partial<ColbertSettings>;

type Layer = Partial<ColbertSettings>;

/** PyLate's config_sentence_transformers.json. An empty prefix means "no marker". */
function fromPylate(cfg: Json, file: string): Layer {
  const out: Layer = {};
  const qp = field(cfg, 'query_prefix', isStr, file, 'a string');
  const dp = field(cfg, 'document_prefix', isStr, file, 'a string');
  if (qp !== undefined) out.queryMarker = qp === '' ? null : qp;
  if (dp !== undefined) out.documentMarker = dp === '' ? null : dp;
  const ql = field(cfg, 'query_length', isInt, file, 'a positive integer');
  const dl = field(cfg, 'document_length', isInt, file, 'a positive integer');
  if (ql !== undefined) out.queryLength = ql;
  if (dl !== undefined) out.documentLength = dl;
  const att = field(cfg, 'attend_to_expansion_tokens', isBool, file, 'a boolean');
  if (att !== undefined) out.attendToExpansion = att;
  const exp = field(cfg, 'do_query_expansion', isBool, file, 'a boolean');
  if (exp !== undefined) out.queryExpansion = exp;
  const skip = field(cfg, 'skiplist_words', isStrArray, file, 'an array of strings');
  if (skip !== undefined) out.skiplistWords = skip;
  return out;
}

/** Stanford ColBERT's artifact.metadata; the fields may also sit under a "config" key. */
function fromStanford(meta: Json, file: string): Layer {
  const cfg = meta.config && typeof meta.config === 'object' ? { ...(meta.config as Json), ...meta } : meta;
  const out: Layer = {};
  const q = field(cfg, 'query_token_id', isStr, file, 'a string');
  const d = field(cfg, 'doc_token_id', isStr, file, 'a string');
  if (q !== undefined) out.queryMarker = q;
  if (d !== undefined) out.documentMarker = d;
  const ql = field(cfg, 'query_maxlen', isInt, file, 'a positive integer');
  const dl = field(cfg, 'doc_maxlen', isInt, file, 'a positive integer');
  if (ql !== undefined) out.queryLength = ql;
  if (dl !== undefined) out.documentLength = dl;
  const att = field(cfg, 'attend_to_mask_tokens', isBool, file, 'a boolean');
  if (att !== undefined) out.attendToExpansion = att;
  const mp = field(cfg, 'mask_punctuation', isBool, file, 'a boolean');
  if (mp === false) out.skiplistWords = [];
  return out;
}

/** Resolves settings in the documented order: caller, PyLate config, Stanford metadata, defaults. */
export function resolveColbertSettings(
  overrides: ColbertOverrides | undefined,
  pylate: { cfg: Json; file: string } | undefined,
  stanford: { cfg: Json; file: string } | undefined,
): ColbertSettings {
  const layers: Layer[] = [];
  if (overrides) layers.push(Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)) as Layer);
  if (pylate) layers.push(fromPylate(pylate.cfg, pylate.file));
  if (stanford) layers.push(fromStanford(stanford.cfg, stanford.file));
  const out = { ...COLBERT_DEFAULTS };
  for (const l of layers.reverse()) Object.assign(out, l);
  if (out.queryLength < 3) throw new TesseraError('INVALID_OPTION', `queryLength must be at least 3 (got ${out.queryLength})`, { field: 'queryLength' });
  if (out.documentLength < 3) throw new TesseraError('INVALID_OPTION', `documentLength must be at least 3 (got ${out.documentLength})`, { field: 'documentLength' });
  return out;
}
