import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HfTextTokenizer, buildDocument, buildQuery, loadModelSpec, resolveColbertTokens } from '../src/index.js';
import { readGolden, type ColbertGolden } from '../src/conformance/golden.js';
import { fixtures } from '@tessera/fixtures';
import { copyFixture, errorOf } from './helpers.js';

describe('tokenizer', () => {
  it('loads tokenizer.json and reports the template specials and pad / mask ids', async () => {
    const tok = await HfTextTokenizer.fromFolder(fixtures.stanford);
    expect(tok.specialPrefix).toEqual([101]);
    expect(tok.specialSuffix).toEqual([102]);
    expect(tok.padId).toBe(0);
    expect(tok.maskId).toBe(103);
    expect(await tok.encodeRaw(['Hello, World!', ''])).toEqual([[7592, 1010, 2088, 999], []]);
  });

  it('builds the same ids from vocab.txt alone as from tokenizer.json', async () => {
    const dir = copyFixture(fixtures.stanford);
    rmSync(join(dir, 'tokenizer.json'));
    const fromVocab = await HfTextTokenizer.fromFolder(dir);
    const fromJson = await HfTextTokenizer.fromFolder(fixtures.stanford);
    const texts = ['Crème brûlée — quick & easy!!!', '東京 tower 🚀', 'unaffable [MASK] x', ''];
    expect(await fromVocab.encodeRaw(texts)).toEqual(await fromJson.encodeRaw(texts));
    expect(fromVocab.specialPrefix).toEqual([101]);
    expect(fromVocab.specialSuffix).toEqual([102]);
  });

  it('finds added marker tokens, with or without the trailing space', async () => {
    const tok = await HfTextTokenizer.fromFolder(join(fixtures.pylate, '0_Transformer'));
    expect(tok.tokenToId('[Q] ')).toBe(30522);
    expect(tok.tokenToId('[D] ')).toBe(30523);
  });

  it('names the folder when there is no tokenizer, and the file when it is corrupt', async () => {
    const empty = copyFixture(fixtures.stanford, (p) => !/tokenizer\.json|vocab\.txt/.test(p));
    expect((await errorOf(HfTextTokenizer.fromFolder(empty))).message).toMatch(/no tokenizer\.json or vocab\.txt/);
    const bad = copyFixture(fixtures.stanford);
    writeFileSync(join(bad, 'tokenizer.json'), '{"not": "a tokenizer"}');
    const e = await errorOf(HfTextTokenizer.fromFolder(bad));
    expect(e.code).toBe('CORRUPT_FILE');
    expect(e.message).toContain('tokenizer.json');
  });
});

describe('ColBERT query and document framing', () => {
  for (const [name, dir] of [
    ['stanford', fixtures.stanford],
    ['pylate', fixtures.pylate],
  ] as const) {
    it(`reproduces the reference ids of the ${name} layout`, async () => {
      const spec = await loadModelSpec(dir);
      const tok = await HfTextTokenizer.fromFolder(spec.transformerDir);
      const ct = await resolveColbertTokens(tok, spec.colbert!);
      const golden = readGolden<ColbertGolden>(dir);
      const rawQ = await tok.encodeRaw(golden.queries.map((q) => q.text));
      golden.queries.forEach((g, i) => {
        const q = buildQuery(tok, rawQ[i]!, spec.colbert!, ct);
        expect(q.ids).toEqual(g.input_ids);
        expect(q.attention).toEqual(g.attention_mask);
      });
      const rawD = await tok.encodeRaw(golden.documents.map((d) => d.text));
      golden.documents.forEach((g, i) => expect(buildDocument(tok, rawD[i]!, spec.colbert!, ct).ids).toEqual(g.input_ids));
    });
  }

  it('encodes the empty string as special tokens and marker only', async () => {
    const spec = await loadModelSpec(fixtures.stanford);
    const tok = await HfTextTokenizer.fromFolder(spec.transformerDir);
    const ct = await resolveColbertTokens(tok, spec.colbert!);
    expect(buildDocument(tok, [], spec.colbert!, ct).ids).toEqual([101, 2, 102]);
    const q = buildQuery(tok, [], spec.colbert!, ct);
    expect(q.ids.slice(0, 4)).toEqual([101, 1, 102, 103]);
    expect(q.ids.length).toBe(32);
  });

  it('attends to the expansion tokens when asked to', async () => {
    const spec = await loadModelSpec(fixtures.stanford, { colbert: { attendToExpansion: true } });
    const tok = await HfTextTokenizer.fromFolder(spec.transformerDir);
    const q = buildQuery(tok, [2054], spec.colbert!, await resolveColbertTokens(tok, spec.colbert!));
    expect(q.attention.every((a) => a === 1)).toBe(true);
  });

  it('skips punctuation ids in the skiplist', async () => {
    const spec = await loadModelSpec(fixtures.stanford);
    const tok = await HfTextTokenizer.fromFolder(spec.transformerDir);
    const ct = await resolveColbertTokens(tok, spec.colbert!);
    expect([1010, 1012, 999, 1029, 1025].every((id) => ct.skiplist.has(id))).toBe(true);
    expect(ct.skiplist.has(101)).toBe(false);
    expect(ct.skiplist.size).toBe(32);
  });
});
