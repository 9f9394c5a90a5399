import { TesseraError } from '../errors.js';

/** A passage of a text: characters start..end. */
export interface TextSpan {
  start: number;
  end: number;
}

export interface PassageOptions {
  /** Tokens of text a passage holds (at most what the model's document length leaves for text). */
  passageTokens: number;
  /** Tokens a passage repeats from the end of the one before it. */
  overlap: number;
}

// A break is looked for in the last part of a full window: a paragraph end, else a sentence end.
const BREAK_ZONE = 0.35;
const SENTENCE_END = /[.!?…。！？]["'”’)\]]*$/;

/**
 * Splits a text into passages of at most `passageTokens` tokens (as `count` tokenizes them), each
 * repeating about `overlap` tokens of the one before, ending at a paragraph or sentence break when
 * one lies near the end of the window. A text that fits is one passage. Words are never cut: a
 * single word longer than a passage is a passage of its own (the model then truncates it).
 * Token counts are summed over whitespace-led words (each counted with its leading space, as
 * BPE and SentencePiece tokenizers see it), so a passage's count can differ from the whole
 * text's by a token or two where a tokenizer merges across spaces.
 */
export async function splitPassages(
  text: string,
  count: (pieces: string[]) => Promise<number[]>,
  options: PassageOptions,
): Promise<TextSpan[]> {
  const { passageTokens: budget, overlap } = options;
  const pieces = [...text.matchAll(/\s*\S+/g)];
  if (pieces.length === 0) return [{ start: 0, end: text.length }];
  const tokens = await count(pieces.map((m) => m[0]));
  if (tokens.reduce((a, b) => a + b, 0) <= budget) return [{ start: 0, end: text.length }];
  const lead = (i: number) => {
    const p = pieces[i]![0];
    return p.slice(0, p.length - p.trimStart().length);
  };
  const wordStart = (i: number) => pieces[i]!.index! + lead(i).length;
  const wordEnd = (i: number) => pieces[i]!.index! + pieces[i]![0].length;
  const paragraphAfter = (i: number) => i + 1 >= pieces.length || /\n\s*\n/.test(lead(i + 1));

  const spans: TextSpan[] = [];
  let i = 0;
  let previousEnd = 0;
  for (;;) {
    let j = i;
    let used = 0;
    while (j < pieces.length && (j === i || used + tokens[j]! <= budget)) used += tokens[j++]!;
    let end = j;
    if (j < pieces.length) {
      // Token position from which a break may end the passage.
      const from = used * (1 - BREAK_ZONE);
      let at = used;
      let paragraph = -1;
      let sentence = -1;
      for (let b = j; b > Math.max(i + 1, previousEnd); b--) {
        if (at < from) break;
        if (paragraph < 0 && paragraphAfter(b - 1)) paragraph = b;
        if (sentence < 0 && SENTENCE_END.test(pieces[b - 1]![0])) sentence = b;
        at -= tokens[b - 1]!;
      }
      end = paragraph > 0 ? paragraph : sentence > 0 ? sentence : j;
    }
    spans.push({ start: wordStart(i), end: wordEnd(end - 1) });
    if (end >= pieces.length) return spans;
    previousEnd = end;
    let next = end;
    let back = 0;
    // Step back for the overlap, leaving room for the next passage to reach past this one.
    while (next - 1 > i && back + tokens[next - 1]! <= Math.min(overlap, budget - tokens[end]!))
      back += tokens[--next]!;
    i = next;
  }
}

/** Refuses passage options that cannot work, naming the field. */
export function checkPassageOptions(o: PassageOptions, room: number): void {
  if (!Number.isInteger(o.passageTokens) || o.passageTokens < 1)
    throw new TesseraError('INVALID_OPTION', `passageTokens must be a positive integer (got ${o.passageTokens})`, {
      field: 'passageTokens',
    });
  if (o.passageTokens > room)
    throw new TesseraError(
      'INVALID_OPTION',
      `passageTokens ${o.passageTokens} is more than a document of this model holds (${room} tokens of text); use at most ${room}`,
      { field: 'passageTokens' },
    );
  if (!Number.isInteger(o.overlap) || o.overlap < 0 || o.overlap >= o.passageTokens)
    throw new TesseraError(
      'INVALID_OPTION',
      `overlap must be an integer from 0 to passageTokens - 1 (got ${o.overlap} with passageTokens ${o.passageTokens})`,
      { field: 'overlap' },
    );
}
