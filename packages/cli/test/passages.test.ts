import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { maxSim, Tessera } from '@tessera/core';
import { fixtures } from '@tessera/fixtures';
import { LanceDbStore } from '@tessera/store-lancedb';
import { runCli as run } from './run-cli.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'tessera-passages-'));
const MODEL = ['--model', fixtures.pylate, '--backend', 'onnx'];
const LEXICAL = fileURLToPath(new URL('./lexical-backend.mjs', import.meta.url));
// A real long document: the repository's README, far past the fixture's 40-token documents.
const README = readFileSync(fileURLToPath(new URL('../../../README.md', import.meta.url)), 'utf8');

describe('long documents as passages', () => {
  it('indexes whole files as passages, says so, and search names the passage that matched with its exact score', async () => {
    const notes = join(tmp(), 'notes');
    mkdirSync(notes);
    writeFileSync(join(notes, 'readme.md'), README);
    writeFileSync(join(notes, 'short.txt'), 'ColBERT scores a query against every token of a document.');
    const to = join(tmp(), 'idx');
    const r = run(['index', ...MODEL, '--input', notes, '--to', to, '--keep-text', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary).toMatchObject({ written: 2, split: 1 });
    expect(summary.passages).toBeGreaterThan(20);
    expect(r.stderr).toMatch(new RegExp(`1 long documents split, ${summary.passages} passages in all`));

    const store = await LanceDbStore.open(to);
    const [doc] = await store.fetch(['readme.md']);
    await store.close();
    const spans = doc!.passages!;
    expect(spans).toHaveLength(summary.passages - 1);
    expect(spans[0]!.start).toBe(0);
    expect(spans.at(-1)!.end).toBe(README.trimEnd().length);
    // Only a single word longer than a passage (a rule of dashes, a long URL) is still cut.
    const single = spans.filter((s) => !/\s/.test(README.slice(s.start, s.end))).length;
    expect(summary.cut).toBeLessThanOrEqual(single);

    const query = 'rotate the API keys of the server';
    const found = run(['search', '--index', to, '--json', '-k', '2', query]);
    expect(found.code, found.stderr).toBe(0);
    const hit = (
      JSON.parse(found.stdout) as {
        results: Array<{
          id: string;
          score: number;
          passage?: { index: number; of: number; start: number; end: number };
        }>;
      }
    ).results.find((h) => h.id === 'readme.md')!;
    expect(hit.passage).toMatchObject({
      of: spans.length,
      start: spans[hit.passage!.index]!.start,
      end: spans[hit.passage!.index]!.end,
    });
    // The document's score is its best passage's: MaxSim against each passage's text encoded alone.
    const t = await Tessera.create({ model: fixtures.pylate, backend: 'onnx' });
    const [q] = await t.encodeQueries([query]);
    const own = await t.encodeDocuments(spans.map((s) => README.slice(s.start, s.end)));
    await t.dispose();
    const scores = own.map((d) => maxSim(q!, d));
    const best = { index: scores.indexOf(Math.max(...scores)), score: Math.max(...scores) };
    expect(hit.score).toBeCloseTo(best.score, 4);
    expect(hit.passage!.index).toBe(best.index);
    // The table names the passage and shows its text.
    const table = run(['search', '--index', to, '-k', '2', query]);
    expect(table.stdout).toMatch(new RegExp(`readme\\.md \\(passage ${best.index + 1} of ${spans.length}\\)`));
  });

  it('finds a long markdown file first from words at its end (every passage is searched)', () => {
    const docs = fileURLToPath(new URL('../../../docs/', import.meta.url));
    const notes = join(tmp(), 'notes');
    mkdirSync(notes);
    const names = readdirSync(docs).filter((f) => f.endsWith('.md'));
    for (const f of names) writeFileSync(join(notes, f), readFileSync(join(docs, f), 'utf8'));
    const to = join(tmp(), 'idx');
    // Rows by token alone: MaxSim then counts shared tokens, which the fixture's random weights do not.
    const lexical = ['--model', fixtures.pylate, '--backend', LEXICAL];
    const r = run(['index', ...lexical, '--input', notes, '--to', to, '--json', '-q']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).split).toBe(names.length);
    for (const f of names) {
      // The last twelve words of the file's last paragraph of prose.
      const text = readFileSync(join(docs, f), 'utf8');
      const paragraph = text
        .split(/\n\s*\n/)
        .filter((p) => p.split(/\s+/).length >= 12 && !p.trimStart().startsWith('```') && !p.includes('|'))
        .at(-1)!;
      const query = paragraph.split(/\s+/).filter(Boolean).slice(-12).join(' ');
      const found = run(['search', '--index', to, '--backend', LEXICAL, '--json', '-k', '3', query]);
      expect(found.code, found.stderr).toBe(0);
      const [top] = (
        JSON.parse(found.stdout) as {
          results: Array<{ id: string; passage?: { index: number; of: number; start: number } }>;
        }
      ).results;
      expect(top!.id, `${f}: "${query}"`).toBe(f);
      // The passage that matched lies in the second half of the file.
      expect(top!.passage!.start, f).toBeGreaterThan(text.length / 2);
    }
  });

  it('--no-split cuts long texts and counts them; impossible passage sizes are refused by name', () => {
    const notes = join(tmp(), 'notes');
    mkdirSync(notes);
    writeFileSync(join(notes, 'readme.md'), README);
    const cut = run(['index', ...MODEL, '--input', notes, '--to', join(tmp(), 'idx'), '--no-split', '--json']);
    expect(cut.code, cut.stderr).toBe(0);
    expect(JSON.parse(cut.stdout)).toMatchObject({ passages: 1, split: 0, cut: 1 });
    expect(cut.stderr).toMatch(/1 documents cut at the model's document length \(drop --no-split/);
    const big = run(['index', ...MODEL, '--input', notes, '--to', join(tmp(), 'idx'), '--passage-tokens', '500']);
    expect(big.code).not.toBe(0);
    expect(big.stderr).toMatch(/passageTokens 500 is more than a document of this model holds \(\d+ tokens of text\)/);
    const both = run(['index', ...MODEL, '--input', notes, '--to', join(tmp(), 'idx'), '--no-split', '--overlap', '4']);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/--no-split encodes texts whole: drop --passage-tokens and --overlap/);
  });
});
