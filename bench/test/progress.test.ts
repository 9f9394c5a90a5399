import { describe, expect, it } from 'vitest';
import { BenchProgress } from '../src/progress.js';

describe('the bench progress line', () => {
  it('shows elapsed time and what is left: unfinished sections scaled by the pace of finished ones', () => {
    let now = 0;
    const lines: string[] = [];
    const p = new BenchProgress(
      [
        { name: 'a', estimate: 100 },
        { name: 'b', estimate: 200 },
        { name: 'c', estimate: 300 },
      ],
      (l) => lines.push(l),
      0,
      () => now,
    );
    p.begin('a');
    expect(lines.at(-1)).toBe('[0:00 elapsed, about 10:00 left] a (1/3): started');
    now = 50_000;
    expect(p.left()).toBeCloseTo(550, 6);
    // a took twice its estimate: b and c are expected to take twice theirs.
    now = 200_000;
    p.end();
    expect(lines.at(-1)).toBe('[3:20 elapsed, about 16:40 left] a (1/3): done');
    expect(p.seconds).toEqual({ a: 200 });
    p.begin('b');
    now = 300_000;
    p.note('half way');
    expect(lines.at(-1)).toBe('[5:00 elapsed, about 15:00 left] b (2/3): half way');
    // A section past its scaled estimate counts as nothing left, never negative.
    now = 900_000;
    expect(p.left()).toBeCloseTo(600, 6);
    p.close();
  });
});
