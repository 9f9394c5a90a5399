import { TesseraError } from '../errors.js';
import type { ColbertSettings } from '../model/spec.js';
import type { TextTokenizer, TokenizedText } from '../tokenizer/types.js';

/** Resolved token ids of the ColBERT markers, skiplist and query padding. */
export interface ColbertTokens {
  queryMarkerId: number | undefined;
  documentMarkerId: number | undefined;
  maskId: number;
  skiplist: Set<number>;
}

function markerId(tok: TextTokenizer, marker: string | null, role: string): number | undefined {
  if (marker === null) return undefined;
  // PyLate writes markers with a trailing space ("[Q] "); the vocabulary may hold either spelling.
  const id = tok.tokenToId(marker) ?? tok.tokenToId(marker.trim());
  if (id === undefined) throw new TesseraError('INVALID_MODEL', `the ${role} marker ${JSON.stringify(marker)} is neither in the vocabulary nor an added token`, { field: `${role}Marker` });
  return id;
}

export async function resolveColbertTokens(tok: TextTokenizer, s: ColbertSettings): Promise<ColbertTokens> {
  const skiplist = new Set<number>();
  const missing: string[] = [];
  for (const w of s.skiplistWords) {
    const id = tok.tokenToId(w);
    if (id !== undefined) skiplist.add(id);
    else missing.push(w);
  }
  // Words not in the vocabulary: the id of the word tokenized alone (Stanford's rule).
  if (missing.length) {
    const ids = await tok.encodeRaw(missing);
    for (const seq of ids) if (seq[0] !== undefined) skiplist.add(seq[0]);
  }
  const maskId = tok.maskId ?? tok.padId;
  return {
    queryMarkerId: markerId(tok, s.queryMarker, 'query'),
    documentMarkerId: markerId(tok, s.documentMarker, 'document'),
    maskId,
    skiplist,
  };
}

/** [prefix specials] [marker] text... [suffix specials], truncated to maxLength tokens in total. */
export function frame(tok: TextTokenizer, raw: readonly number[], marker: number | undefined, maxLength: number): { ids: number[]; truncated: boolean } {
  const fixed = tok.specialPrefix.length + tok.specialSuffix.length + (marker === undefined ? 0 : 1);
  const room = Math.max(0, maxLength - fixed);
  const truncated = raw.length > room;
  const body = truncated ? raw.slice(0, room) : raw;
  const ids = [...tok.specialPrefix];
  if (marker !== undefined) ids.push(marker);
  for (const id of body) ids.push(id);
  for (const id of tok.specialSuffix) ids.push(id);
  return { ids, truncated };
}

/** A query: framed, then padded with [MASK] to queryLength when query expansion is on. */
export function buildQuery(tok: TextTokenizer, raw: readonly number[], s: ColbertSettings, t: ColbertTokens): TokenizedText {
  const { ids, truncated } = frame(tok, raw, t.queryMarkerId, s.queryLength);
  const attention = ids.map(() => 1);
  if (s.queryExpansion) {
    const expansion = s.attendToExpansion ? 1 : 0;
    while (ids.length < s.queryLength) {
      ids.push(t.maskId);
      attention.push(expansion);
    }
  }
  return { ids, attention, truncated };
}

export function buildDocument(tok: TextTokenizer, raw: readonly number[], s: ColbertSettings, t: ColbertTokens): TokenizedText {
  const { ids, truncated } = frame(tok, raw, t.documentMarkerId, s.documentLength);
  return { ids, attention: ids.map(() => 1), truncated };
}

export function buildPlain(tok: TextTokenizer, raw: readonly number[], maxLength: number): TokenizedText {
  const { ids, truncated } = frame(tok, raw, undefined, maxLength);
  return { ids, attention: ids.map(() => 1), truncated };
}
