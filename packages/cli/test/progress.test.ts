import { describe, expect, it } from 'vitest';
import { ProgressBar } from '../src/progress.js';

function fakeStream(isTTY: boolean) {
  const chunks: string[] = [];
  return { chunks, stream: { isTTY, write: (s: string) => chunks.push(s) } as unknown as NodeJS.WriteStream };
}

describe('progress bar', () => {
  it('draws texts/s, tokens/s and an ETA on a terminal', () => {
    const { chunks, stream } = fakeStream(true);
    const bar = new ProgressBar('encoding documents', 100, false, stream);
    bar.update(25, 1000, true);
    expect(chunks.join('')).toMatch(/encoding documents █+░+ 25\/100 \| [\d.]+ texts\/s \| \d+ tokens\/s ETA \d+s/);
    bar.done();
    expect(chunks.at(-1)).toBe('\r\x1b[2K');
  });

  it('stays silent when stderr is not a terminal or with --quiet', () => {
    const pipe = fakeStream(false);
    new ProgressBar('x', 10, false, pipe.stream).update(5, 5, true);
    expect(pipe.chunks).toEqual([]);
    const quiet = fakeStream(true);
    new ProgressBar('x', 10, true, quiet.stream).update(5, 5, true);
    expect(quiet.chunks).toEqual([]);
  });
});
