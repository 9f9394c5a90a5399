import { describe, expect, it } from 'vitest';
import { ProgressBar } from '../src/progress.js';

/** A terminal-like stream that records what is written (cli-progress also moves the cursor). */
function fakeStream(isTTY: boolean) {
  const chunks: string[] = [];
  const stream = {
    isTTY,
    columns: 160,
    write: (s: string) => chunks.push(s),
    cursorTo: () => true,
    clearLine: () => true,
    moveCursor: () => true,
    clearScreenDown: () => true,
    on: () => stream,
    removeListener: () => stream,
  };
  return { chunks, stream: stream as unknown as NodeJS.WriteStream };
}

describe('progress bar', () => {
  it('draws texts/s, tokens/s and an ETA on a terminal', () => {
    const { chunks, stream } = fakeStream(true);
    const bar = new ProgressBar('encoding documents', 100, false, stream);
    bar.update(25, 1000);
    expect(chunks.join('')).toMatch(
      /encoding documents [█░]{24} 25\/100 \| [\d.]+ texts\/s \| \d+ tokens\/s \| ETA \S+/,
    );
    bar.done();
  });

  it('tracks a fraction with its own fields (the indexer: bytes of input read)', () => {
    const { chunks, stream } = fakeStream(true);
    const bar = new ProgressBar(
      'indexing',
      undefined,
      false,
      stream,
      'indexing {bar} {percentage}% | {encoded} encoded, {written} written',
    );
    bar.track(0.5, { encoded: 64, written: 32 });
    expect(chunks.join('')).toMatch(/indexing [█░]{24} 50% \| 64 encoded, 32 written/);
    bar.done();
  });

  it('stays silent when stderr is not a terminal or with --quiet', () => {
    const pipe = fakeStream(false);
    new ProgressBar('x', 10, false, pipe.stream).update(5, 5);
    expect(pipe.chunks).toEqual([]);
    const quiet = fakeStream(true);
    new ProgressBar('x', 10, true, quiet.stream).update(5, 5);
    expect(quiet.chunks).toEqual([]);
  });
});
