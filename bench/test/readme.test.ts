import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { README, RESULTS, readmeSource, renderReadme, replaceBlock } from '../src/readme.js';
import type { BenchResults } from '../src/report.js';

describe('bench/README.md', () => {
  it('holds exactly the figures its generator writes from the results file it names', () => {
    const readme = readFileSync(README, 'utf8');
    const stem = readmeSource(readme);
    expect(stem, 'the headline names its results file').toBeTruthy();
    const r = JSON.parse(readFileSync(join(RESULTS, `${stem}.json`), 'utf8')) as BenchResults;
    expect(r.quick).toBe(false);
    // A figure edited by hand, or a results file changed without regenerating, fails here.
    expect(renderReadme(readme, r, stem!)).toBe(readme);
  });

  it('replaces only what lies between a block’s markers, and appends a missing block', () => {
    const text = 'a\n<!-- x:start -->\nold\n<!-- x:end -->\nb\n';
    expect(replaceBlock(text, 'x', 'new')).toBe('a\n<!-- x:start -->\nnew\n<!-- x:end -->\nb\n');
    expect(replaceBlock('a\n', 'y', 'z')).toBe('a\n\n<!-- y:start -->\nz\n<!-- y:end -->\n');
  });
});
