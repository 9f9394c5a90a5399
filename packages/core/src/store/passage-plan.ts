import { type PassageOptions, checkPassageOptions, splitPassages, type TextSpan } from '../corpus/passages.js';
import type { RowMatrix } from '../scoring/maxsim.js';
import type { PassageSpan } from '../scoring/passages.js';
import type { Tessera } from '../tessera.js';
import type { TokenEmbeddings } from '../types.js';

/** How an index run splits long texts, or false to encode every text whole. */
export type PassageSetting = false | Partial<PassageOptions>;

// Words repeated to find how many tokens of text a document holds.
const PROBE_WORDS = 8192;

/**
 * Tokens of text one document of this model holds: its document length less what framing adds
 * (special tokens, the document marker or prompt). Measured through the model's own framing.
 */
export async function documentTextRoom(t: Tessera): Promise<number> {
  const [short] = await t.prepare(['x'], 'document');
  const [long] = await t.prepare(['x '.repeat(PROBE_WORDS)], 'document');
  const [raw] = await t.tokenizer.encodeRaw(['x']);
  const overhead = short!.ids.length - raw!.length;
  return long!.truncated ? long!.ids.length - overhead : PROBE_WORDS;
}

// Words are tokenized alone to count them, many times over a corpus: counts are cached, and the
// tokenizer (synchronous) runs in chunks with the event loop let in between, so a queue worker's
// lock renewals and a server's requests are not held up by a long document.
const COUNT_CHUNK = 512;
const CACHE_LIMIT = 200_000;

const yieldToEventLoop = () => new Promise<void>((r) => setTimeout(r, 0));

/** Token counts of texts, tokenized in chunks with the event loop let in between. */
async function countTokens(t: Tessera, texts: readonly string[]): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < texts.length; i += COUNT_CHUNK) {
    if (i > 0) await yieldToEventLoop();
    for (const ids of await t.tokenizer.encodeRaw(texts.slice(i, i + COUNT_CHUNK))) out.push(ids.length);
  }
  return out;
}

/** Token counts of words (whitespace-led pieces), cached by piece: words repeat across a corpus. */
function cachedCounter(t: Tessera): (pieces: string[]) => Promise<number[]> {
  const cache = new Map<string, number>();
  return async (pieces) => {
    const missing = [...new Set(pieces.filter((p) => !cache.has(p)))];
    const counts = await countTokens(t, missing);
    const fresh = new Map(missing.map((p, k) => [p, counts[k]!]));
    const out = pieces.map((p) => fresh.get(p) ?? cache.get(p)!);
    if (cache.size + fresh.size > CACHE_LIMIT) cache.clear();
    for (const [p, n] of fresh) cache.set(p, n);
    return out;
  };
}

/** Splits texts into passages: each text's spans (one span for a text that fits). */
export type PassagePlanner = (texts: readonly string[]) => Promise<TextSpan[][]>;

/** The splitter for an index run, or undefined when texts are encoded whole. */
export async function passagePlanner(
  t: Tessera,
  setting: PassageSetting | undefined,
): Promise<PassagePlanner | undefined> {
  if (setting === false) return undefined;
  const room = await documentTextRoom(t);
  const passageTokens = setting?.passageTokens ?? room;
  const options = {
    passageTokens,
    overlap: setting?.overlap ?? Math.min(passageTokens - 1, Math.round(passageTokens / 8)),
  };
  checkPassageOptions(options, room);
  const count = cachedCounter(t);
  return async (texts) => {
    // A text shorter than a quarter of the room in characters fits whatever the tokenizer (at most 4 byte tokens a character).
    const unsure = texts.map((text, i) => (text.length * 4 > passageTokens ? i : -1)).filter((i) => i >= 0);
    // Whole texts are counted once, not cached.
    const whole = await countTokens(
      t,
      unsure.map((i) => texts[i]!),
    );
    const long = new Set(unsure.filter((_, k) => whole[k]! > passageTokens));
    const out: TextSpan[][] = [];
    for (let i = 0; i < texts.length; i++) {
      if (!long.has(i)) {
        out.push([{ start: 0, end: texts[i]!.length }]);
        continue;
      }
      out.push(await splitPassages(texts[i]!, count, options));
      await yieldToEventLoop();
    }
    return out;
  };
}

/**
 * Encodes documents for a store: each text split by `planner` (whole without one), all passages
 * encoded together (length-sorted by the encoder), and each document's passages joined into one
 * record's rows. `onProgress` gets documents done (estimated from passages done).
 */
export async function encodeInPassages(
  t: Tessera,
  texts: readonly string[],
  planner: PassagePlanner | undefined,
  onProgress?: (documentsDone: number) => void,
): Promise<{ encoded: Encoded[]; tokens: number; passages: number; split: number; cut: number }> {
  const spans = planner ? await planner(texts) : texts.map((text) => [{ start: 0, end: text.length }]);
  const pieces = spans.flatMap((list, i) =>
    list.map((s) => (list.length > 1 ? texts[i]!.slice(s.start, s.end) : texts[i]!)),
  );
  const rows = await t.encodeDocuments(pieces, {
    onProgress: (e) => onProgress?.(Math.floor((e.done * texts.length) / Math.max(1, pieces.length))),
  });
  return {
    encoded: joinPassages(spans, rows),
    tokens: rows.reduce((n, r) => n + r.tokens, 0),
    passages: rows.length,
    split: spans.filter((list) => list.length > 1).length,
    cut: rows.filter((r) => r.truncated).length,
  };
}

/** A document ready for a store record. */
export interface Encoded {
  vectors: RowMatrix;
  passages?: PassageSpan[];
}

/** Each document's passages' rows, one after another, with their spans (none for a document encoded whole). */
function joinPassages(spans: TextSpan[][], rows: TokenEmbeddings[]): Encoded[] {
  let at = 0;
  return spans.map((list) => {
    // A passage with no scored rows (all skiplist tokens) has nothing to match: left out.
    const kept = list.map((s, k) => ({ s, r: rows[at + k]! })).filter((x, _, all) => all.length === 1 || x.r.rows > 0);
    const first = rows[at]!;
    at += list.length;
    const parts = kept.map((x) => x.r);
    // Nothing left to score at all: the document as its first passage's (empty) rows, which the store refuses by name.
    if (parts.length === 0) return { vectors: first };
    if (parts.length === 1) return { vectors: parts[0]! };
    const dim = parts[0]!.dim;
    const total = parts.reduce((n, r) => n + r.rows, 0);
    const data = new Float32Array(total * dim);
    let row = 0;
    for (const r of parts) {
      data.set(r.data.subarray(0, r.rows * dim), row * dim);
      row += r.rows;
    }
    return {
      vectors: { data, rows: total, dim },
      passages: kept.map(({ s, r }) => ({ start: s.start, end: s.end, rows: r.rows })),
    };
  });
}
