import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { openCorpus } from '@tessera/core';
import { assertProperty } from '@tessera/fixtures/property';
import { describe, expect, it } from 'vitest';
import { parseLines } from '../src/input.js';
import { toJson } from '../src/ndjson.js';

describe('JSONL and text input', () => {
  it('parses any content into texts and problems with their line numbers, never throwing', async () => {
    const line = fc.oneof(
      fc.string({ maxLength: 30 }),
      fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v)),
      fc
        .record(
          { text: fc.oneof(fc.string(), fc.jsonValue()), id: fc.oneof(fc.string(), fc.integer(), fc.jsonValue()) },
          { requiredKeys: [] },
        )
        .map((v) => JSON.stringify(v)),
    );
    await assertProperty(
      fc.property(
        fc.array(line, { maxLength: 12 }),
        fc.constantFrom('x.jsonl', 'x.txt'),
        fc.constantFrom('\n', '\r\n'),
        (lines, source, eol) => {
          const content = lines.join(eol);
          const { items, problems } = parseLines(content, source);
          const count = content.split(/\r?\n/).length;
          for (const it of items) {
            expect(typeof it.text).toBe('string');
            expect(it.line).toBeGreaterThanOrEqual(1);
            expect(it.line).toBeLessThanOrEqual(count);
          }
          for (const p of problems) {
            expect(p.line).toBeGreaterThanOrEqual(1);
            expect(p.line).toBeLessThanOrEqual(count);
            expect(p.message.length).toBeGreaterThan(0);
          }
          // Every non-blank line is a text or a problem, once.
          expect(items.length + problems.length).toBe(content.split(/\r?\n/).filter((l) => l.trim()).length);
        },
      ),
      { minRuns: 100, maxRuns: 500, seconds: 5 },
    );
  });
});

describe('one corpus-format rule for every command', () => {
  it('reads any file as `tessera index` reads it: the same texts, lines and bad lines', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-format-'));
    const line = fc.oneof(
      fc.constantFrom(
        'plain words',
        '  indented text',
        '',
        '{not json',
        '{"text": "a record"}',
        '  {"text": "spaced"}',
      ),
      fc.string({ maxLength: 12 }).map((t) => JSON.stringify({ text: t })),
      fc.string({ maxLength: 12 }),
    );
    try {
      await assertProperty(
        fc.asyncProperty(
          fc.array(line, { maxLength: 8 }),
          fc.constantFrom('x.dat', 'x.jsonl', 'x.txt'),
          async (lines, name) => {
            const path = join(dir, name);
            writeFileSync(path, lines.join('\n'));
            const encode = parseLines(lines.join('\n'), path);
            const skipped: number[] = [];
            const corpus = await openCorpus(path, { skipInvalid: true, onSkip: (p) => skipped.push(p.line) });
            const indexed: Array<{ text: string; line: number }> = [];
            for await (const d of corpus.documents) indexed.push({ text: d.text, line: d.seq });
            expect(encode.items.map((it) => ({ text: it.text, line: it.line }))).toEqual(indexed);
            expect(encode.problems.map((p) => p.line)).toEqual(skipped);
          },
        ),
        { minRuns: 50, maxRuns: 300, seconds: 10, label: 'encode and index read a file alike' },
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the NDJSON writer', () => {
  it('writes lines that parse back to the rows (within the 1e-6 rounding), ids and counts', async () => {
    await assertProperty(
      fc.property(
        fc.integer({ min: 0, max: 6 }),
        fc.integer({ min: 1, max: 5 }),
        fc.array(fc.float({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }), {
          minLength: 30,
          maxLength: 30,
        }),
        fc.option(fc.oneof(fc.string(), fc.integer())),
        (rows, dim, pool, id) => {
          const data = Float32Array.from({ length: rows * dim }, (_, i) => pool[i % pool.length]!);
          const line = toJson(
            { index: 3, rows, dim, data, tokens: rows, tokenIds: new Int32Array(rows), truncated: false } as never,
            { text: 't', ...(id === null ? {} : { id }) },
            undefined,
          );
          expect(line.includes('\n')).toBe(false);
          const back = JSON.parse(line) as { index: number; id?: unknown; dim: number; embeddings: number[][] };
          expect(back.index).toBe(3);
          expect(back.dim).toBe(dim);
          if (id !== null) expect(back.id).toEqual(id);
          expect(back.embeddings.length).toBe(rows);
          back.embeddings.forEach((row, r) =>
            row.forEach((v, j) =>
              expect(Math.abs(v - data[r * dim + j]!)).toBeLessThanOrEqual(
                5e-7 * Math.max(1, Math.abs(data[r * dim + j]!)) + 5e-7,
              ),
            ),
          );
        },
      ),
      { minRuns: 60, maxRuns: 300, seconds: 5 },
    );
  });
});
