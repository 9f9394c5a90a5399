import { TesseraError } from '../errors.js';
import type { ColbertSettings, EncodeRoleName } from '../model/spec.js';
import type { TextTokenizer, TokenizedText } from '../tokenizer/types.js';

/** Resolved token ids of the ColBERT markers, skiplist and query expansion. */
export interface ColbertTokens {
  queryMarkerId: number | undefined;
  documentMarkerId: number | undefined;
  /** The token queries are expanded with (undefined without expansion). */
  expansionId: number | undefined;
  skiplist: Set<number>;
}

function markerId(tok: TextTokenizer, marker: string | null, role: string): number | undefined {
  if (marker === null) return undefined;
  // PyLate writes markers with a trailing space ("[Q] "); the vocabulary may hold either spelling.
  const id = tok.tokenToId(marker) ?? tok.tokenToId(marker.trim()) ?? tok.tokenToId(`${marker.trim()} `);
  if (id === undefined)
    throw new TesseraError(
      'INVALID_MODEL',
      `the ${role} marker ${JSON.stringify(marker)} is neither in the vocabulary nor an added token`,
      { field: `${role}Marker` },
    );
  return id;
}

/** The expansion token: the configured one, else [MASK], else EOS (else the pad token, as PyLate falls back). */
function expansionId(tok: TextTokenizer, s: ColbertSettings): number | undefined {
  const e = s.queryExpansion;
  if (!e) return undefined;
  if (e.token !== null) {
    const id = tok.tokenToId(e.token);
    if (id === undefined || (id === tok.unkId && e.token !== tok.unkToken))
      throw new TesseraError(
        'INVALID_MODEL',
        `the query expansion token ${JSON.stringify(e.token)} is not in the vocabulary`,
        { field: 'query_expansion.token' },
      );
    return id;
  }
  const id = tok.maskId ?? tok.eosId ?? (s.markerMode === 'insert' ? tok.padId : undefined);
  if (id === undefined)
    throw new TesseraError(
      'INVALID_MODEL',
      'query expansion needs a mask or end-of-sequence token, and this tokenizer has neither; set queryExpansion.token',
      { field: 'query_expansion.token' },
    );
  return id;
}

/**
 * Skiplist ids. A word that is not a single token resolves as the layout's library does: PyLate's
 * convert_tokens_to_ids gives the unknown token, colbert-ai takes the first id of the word encoded
 * alone, sentence-transformers 6 drops the word.
 */
async function skiplistIds(tok: TextTokenizer, s: ColbertSettings): Promise<Set<number>> {
  const out = new Set<number>();
  if (s.skiplistUnknown === 'encode') {
    for (const seq of await tok.encodeRaw(s.skiplistWords)) if (seq[0] !== undefined) out.add(seq[0]);
    // colbert-ai's document mask also drops padding ids.
    out.add(tok.padId);
    return out;
  }
  for (const w of s.skiplistWords) {
    const id = tok.tokenToId(w);
    if (s.skiplistUnknown === 'unk') {
      const v = id ?? tok.unkId;
      if (v !== undefined) out.add(v);
    } else if (id !== undefined && !(id === tok.unkId && w !== tok.unkToken)) out.add(id);
  }
  return out;
}

export async function resolveColbertTokens(tok: TextTokenizer, s: ColbertSettings): Promise<ColbertTokens> {
  const insert = s.markerMode !== 'prompt';
  return {
    queryMarkerId: insert ? markerId(tok, s.queryMarker, 'query') : undefined,
    documentMarkerId: insert ? markerId(tok, s.documentMarker, 'document') : undefined,
    expansionId: expansionId(tok, s),
    skiplist: await skiplistIds(tok, s),
  };
}

/** The string a role's text is tokenized as (colbert-ai prefixes ". ", a placeholder the marker replaces). */
export function roleText(s: ColbertSettings, role: EncodeRoleName, text: string, prompt?: string): string {
  const p = prompt ?? (role === 'query' ? s.queryPrompt : s.documentPrompt);
  return s.markerMode === 'placeholder' ? `. ${p}${text}` : `${p}${text}`;
}

/** [prefix specials] text... [suffix specials], truncated to maxLength tokens in total. */
export function frame(
  tok: TextTokenizer,
  raw: readonly number[],
  maxLength: number,
): { ids: number[]; truncated: boolean } {
  const room = Math.max(0, maxLength - tok.specialPrefix.length - tok.specialSuffix.length);
  const truncated = raw.length > room;
  const ids = [...tok.specialPrefix];
  for (let i = 0; i < Math.min(room, raw.length); i++) ids.push(raw[i]!);
  for (const id of tok.specialSuffix) ids.push(id);
  return { ids, truncated };
}

/** The longest a query may be: the expansion length for 'fixed', else the query cap (at least the floor for 'min'). */
function queryMax(s: ColbertSettings, modelLimit: number): number {
  const e = s.queryExpansion;
  if (e?.strategy === 'fixed') return e.length;
  const cap = s.queryLength ?? modelLimit;
  return e ? Math.max(cap, e.length) : cap;
}

/**
 * Frames one text for a role from the ids of its role text (see roleText): truncation, the marker
 * (replacing colbert-ai's placeholder, or inserted after the first token as PyLate does), query
 * expansion, and which rows are scored.
 */
export function buildColbert(
  tok: TextTokenizer,
  raw: readonly number[],
  role: EncodeRoleName,
  s: ColbertSettings,
  t: ColbertTokens,
  modelLimit: number,
): TokenizedText {
  const maxLength = role === 'query' ? queryMax(s, modelLimit) : s.documentLength;
  const marker = role === 'query' ? t.queryMarkerId : t.documentMarkerId;
  let framed: { ids: number[]; truncated: boolean };
  if (s.markerMode === 'insert' && marker !== undefined) {
    framed = frame(tok, raw, maxLength - 1);
    framed.ids.splice(Math.min(1, framed.ids.length), 0, marker);
  } else {
    framed = frame(tok, raw, maxLength);
    if (s.markerMode === 'placeholder' && marker !== undefined && framed.ids.length > 1) framed.ids[1] = marker;
  }
  const { ids, truncated } = framed;
  const attention = ids.map(() => 1);
  const expansion = ids.map(() => false);
  const e = role === 'query' ? s.queryExpansion : null;
  if (e) {
    while (ids.length < e.length) {
      ids.push(t.expansionId!);
      attention.push(e.attend ? 1 : 0);
      expansion.push(true);
    }
  }
  const skip = s.skiplistRoles.includes(role) ? t.skiplist : undefined;
  const keepOnly = role === 'document' && s.keepOnlyTokenIds ? new Set(s.keepOnlyTokenIds) : undefined;
  const scored = ids.map((id, p) => {
    if (!attention[p] && !(expansion[p] && s.expansionScored)) return 0;
    if (skip?.has(id)) return 0;
    if (keepOnly && !keepOnly.has(id)) return 0;
    return 1;
  });
  // The legacy layouts score every query row, expansion included (skiplists never apply to queries there).
  return {
    ids,
    attention,
    truncated,
    scored: s.markerMode === 'prompt' ? scored : role === 'query' ? ids.map(() => 1) : scored,
  };
}

/** A dense model's input: truncated, with the first `promptLength` rows left out of pooling when the model asks. */
export function buildPlain(
  tok: TextTokenizer,
  raw: readonly number[],
  maxLength: number,
  excludeFirst = 0,
): TokenizedText {
  const { ids, truncated } = frame(tok, raw, maxLength);
  const attention = ids.map(() => 1);
  return {
    ids,
    attention,
    truncated,
    scored: excludeFirst ? attention.map((a, p) => (p < excludeFirst ? 0 : a)) : attention,
  };
}

/**
 * How many leading tokens a prompt occupies, as sentence-transformers counts it for Pooling's
 * include_prompt: the prompt tokenized with special tokens, less a trailing special token.
 */
export function promptTokenCount(tok: TextTokenizer, promptIds: readonly number[]): number {
  const n = tok.specialPrefix.length + promptIds.length + tok.specialSuffix.length;
  const last = tok.specialSuffix.length
    ? tok.specialSuffix[tok.specialSuffix.length - 1]
    : promptIds[promptIds.length - 1];
  return last !== undefined && (tok.specialSuffix.length > 0 || tok.specialIds?.has(last)) ? n - 1 : n;
}
