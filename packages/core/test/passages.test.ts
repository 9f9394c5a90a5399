import fc from 'fast-check';
import { assertProperty } from '@tessera/fixtures/property';
import { describe, expect, it } from 'vitest';
import { splitPassages, type TextSpan } from '../src/corpus/passages.js';
import { bestPassageScores, passageRows } from '../src/scoring/passages.js';
import { maxSim, type RowMatrix } from '../src/index.js';

// A tokenizer stand-in: a word's tokens are its length in fives (so long words count more).
const tokensOf = (piece: string) => Math.max(1, Math.ceil(piece.trim().length / 5));
const count = async (pieces: string[]) => pieces.map(tokensOf);
const words = (text: string, s: TextSpan) => text.slice(s.start, s.end).split(/\s+/).filter(Boolean);
const tokensIn = (text: string, s: TextSpan) => words(text, s).reduce((n, w) => n + tokensOf(w), 0);

describe('splitting long texts into passages', () => {
  it('keeps a text that fits as one passage, and an empty text as one empty passage', async () => {
    expect(await splitPassages('  short text. ', count, { passageTokens: 10, overlap: 2 })).toEqual([
      { start: 0, end: 14 },
    ]);
    expect(await splitPassages('', count, { passageTokens: 10, overlap: 2 })).toEqual([{ start: 0, end: 0 }]);
  });

  it('ends passages at a sentence end near the window end, and a paragraph end before that', async () => {
    // One-token words: "w1 w2 ... w8. w9 ... w11" with a budget of 10.
    const sentence = 'aa bb cc dd ee ff gg hh. ii jj kk ll mm nn oo pp qq rr';
    const [a] = await splitPassages(sentence, count, { passageTokens: 10, overlap: 0 });
    expect(sentence.slice(a!.start, a!.end)).toBe('aa bb cc dd ee ff gg hh.');
    const para = 'aa bb cc dd ee ff gg.\n\nhh ii. jj kk ll mm nn oo pp qq rr';
    const [b] = await splitPassages(para, count, { passageTokens: 10, overlap: 0 });
    expect(para.slice(b!.start, b!.end)).toBe('aa bb cc dd ee ff gg.');
    // No break in the last part of the window: the window is cut at the budget.
    const flat = 'aa bb. cc dd ee ff gg hh ii jj kk ll mm';
    const [c] = await splitPassages(flat, count, { passageTokens: 10, overlap: 0 });
    expect(words(flat, c!)).toHaveLength(10);
  });

  it('covers every word, keeps each passage within the budget, overlaps by at most `overlap` tokens, and always moves on', async () => {
    const word = fc.stringMatching(/^[a-z]{1,23}[.!?]?$/);
    const gap = fc.constantFrom(' ', ' ', ' ', '\n', '\n\n', '  ');
    const text = fc
      .array(fc.tuple(word, gap), { minLength: 1, maxLength: 300 })
      .map((ws) => ws.map(([w, g]) => w + g).join(''));
    await assertProperty(
      fc.asyncProperty(
        text,
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 0, max: 59 }),
        async (t, budget, ov) => {
          const overlap = Math.min(ov, budget - 1);
          const spans = await splitPassages(t, count, { passageTokens: budget, overlap });
          const all = t.split(/\s+/).filter(Boolean);
          const total = all.reduce((n, w) => n + tokensOf(w), 0);
          if (total <= budget) {
            expect(spans).toEqual([{ start: 0, end: t.length }]);
            return;
          }
          // Word positions: every word inside some passage, passages in order, none empty.
          const starts = [...t.matchAll(/\S+/g)].map((m) => [m.index!, m.index! + m[0].length] as const);
          for (const [ws, we] of starts) expect(spans.some((s) => s.start <= ws && we <= s.end)).toBe(true);
          for (let i = 0; i < spans.length; i++) {
            const s = spans[i]!;
            expect(s.end).toBeGreaterThan(s.start);
            if (words(t, s).length > 1) expect(tokensIn(t, s)).toBeLessThanOrEqual(budget);
            if (i > 0) {
              const prev = spans[i - 1]!;
              expect(s.start).toBeGreaterThan(prev.start);
              expect(s.end).toBeGreaterThan(prev.end);
              const shared = s.start < prev.end ? tokensIn(t, { start: s.start, end: prev.end }) : 0;
              expect(shared).toBeLessThanOrEqual(overlap);
            }
          }
        },
      ),
      { minRuns: 100, maxRuns: 500, seconds: 3, label: 'passage splitting' },
    );
  });
});

describe('scoring documents by their best passage', () => {
  const rows = (values: number[][]): RowMatrix => ({
    data: Float32Array.from(values.flat()),
    rows: values.length,
    dim: 2,
  });
  it("scores a document as its best passage's MaxSim, says which, and a whole document as itself", () => {
    const q = rows([
      [1, 0],
      [0, 1],
    ]);
    const doc = rows([
      [1, 0],
      [0.6, 0.8],
      [0, 1],
      [0.8, 0.6],
    ]);
    const passages = [
      { start: 0, end: 5, rows: 2 },
      { start: 5, end: 9, rows: 2 },
    ];
    const parts = passageRows({ vectors: doc, passages });
    expect(parts.map((p) => p.rows)).toEqual([2, 2]);
    const [first, second] = [maxSim(q, parts[0]!), maxSim(q, parts[1]!)];
    expect(first).toBeCloseTo(1.8, 5);
    expect(second).toBeCloseTo(1.8, 5);
    const whole = maxSim(q, doc);
    expect(whole).toBeCloseTo(2, 5);
    const skewed = rows([
      [0.6, 0.8],
      [0.6, 0.8],
      [0, 1],
      [1, 0],
    ]);
    const r = bestPassageScores(q, [{ vectors: doc }, { vectors: skewed, passages }]);
    expect(r.scores[0]).toBeCloseTo(2, 5);
    expect(r.passage[0]).toBe(0);
    expect(r.scores[1]).toBeCloseTo(2, 5);
    expect(r.passage[1]).toBe(1);
  });
});
