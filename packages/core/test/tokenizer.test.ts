import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HfTextTokenizer, loadModelSpec, type ColbertSettings, type TextTokenizer } from '../src/index.js';
import { buildColbert, resolveColbertTokens, roleText } from '../src/backend-kit.js';
import { fixtures } from '@tessera/fixtures';
import { copyFixture, errorOf } from './helpers.js';
import { nodeFiles } from '../src/io/node-files.js';

describe('tokenizer', () => {
  it('loads tokenizer.json and reports the template specials and pad / mask ids', async () => {
    const tok = await HfTextTokenizer.fromFolder(nodeFiles, fixtures.stanford);
    expect(tok.specialPrefix).toEqual([101]);
    expect(tok.specialSuffix).toEqual([102]);
    expect(tok.padId).toBe(0);
    expect(tok.maskId).toBe(103);
    expect(await tok.encodeRaw(['Hello, World!', ''])).toEqual([[7592, 1010, 2088, 999], []]);
  });

  it('builds the same ids from vocab.txt alone as from tokenizer.json', async () => {
    const dir = copyFixture(fixtures.stanford);
    rmSync(join(dir, 'tokenizer.json'));
    const fromVocab = await HfTextTokenizer.fromFolder(nodeFiles, dir);
    const fromJson = await HfTextTokenizer.fromFolder(nodeFiles, fixtures.stanford);
    const texts = ['Crème brûlée — quick & easy!!!', '東京 tower 🚀', 'unaffable [MASK] x', ''];
    expect(await fromVocab.encodeRaw(texts)).toEqual(await fromJson.encodeRaw(texts));
    expect(fromVocab.specialPrefix).toEqual([101]);
    expect(fromVocab.specialSuffix).toEqual([102]);
  });

  it('keeps vocab.txt tokens that are names on Object.prototype', async () => {
    const dir = copyFixture(fixtures.stanford);
    rmSync(join(dir, 'tokenizer.json'));
    const lines = readFileSync(join(dir, 'vocab.txt'), 'utf8').split('\n');
    // Two unused slots become "constructor" and "__proto__".
    const [a, b] = [lines.indexOf('[unused5]'), lines.indexOf('[unused6]')];
    lines[a] = 'constructor';
    lines[b] = '__proto__';
    writeFileSync(join(dir, 'vocab.txt'), lines.join('\n'));
    const tok = await HfTextTokenizer.fromFolder(nodeFiles, dir);
    expect(tok.tokenToId('constructor')).toBe(a);
    expect(tok.tokenToId('__proto__')).toBe(b);
    expect(await tok.encodeRaw(['constructor'])).toEqual([[a]]);
  });

  it('finds marker tokens whichever side has the trailing space, the config or the vocabulary', async () => {
    const pylate = await HfTextTokenizer.fromFolder(nodeFiles, join(fixtures.pylate, '0_Transformer'));
    const bert = await HfTextTokenizer.fromFolder(nodeFiles, fixtures.stanford);
    const ids = async (tok: TextTokenizer, q: string, d: string) => {
      const ct = await resolveColbertTokens(tok, {
        ...(await loadModelSpec(fixtures.pylate)).colbert!,
        queryMarker: q,
        documentMarker: d,
      });
      return [ct.queryMarkerId, ct.documentMarkerId];
    };
    expect(await ids(pylate, '[Q] ', '[D] ')).toEqual([30522, 30523]); // vocabulary "[Q] ", config "[Q] "
    expect(await ids(pylate, '[Q]', '[D]')).toEqual([30522, 30523]); // vocabulary "[Q] ", config "[Q]"
    expect(await ids(bert, '[unused0] ', '[unused1] ')).toEqual([1, 2]); // vocabulary "[unused0]", config with a space
    await expect(ids(bert, '[Q]', '[D]')).rejects.toThrow(
      /query marker "\[Q\]" is neither in the vocabulary nor an added token/,
    );
  });

  it('names the folder when there is no tokenizer, and the file when it is corrupt', async () => {
    const empty = copyFixture(fixtures.stanford, (p) => !/tokenizer\.json|vocab\.txt/.test(p));
    expect((await errorOf(HfTextTokenizer.fromFolder(nodeFiles, empty))).message).toMatch(
      /no tokenizer\.json or vocab\.txt/,
    );
    const bad = copyFixture(fixtures.stanford);
    writeFileSync(join(bad, 'tokenizer.json'), '{"not": "a tokenizer"}');
    const e = await errorOf(HfTextTokenizer.fromFolder(nodeFiles, bad));
    expect(e.code).toBe('CORRUPT_FILE');
    expect(e.message).toContain('tokenizer.json');
  });
});

/** A word-level tokenizer with configurable specials, for framing rules the fixtures cannot show. */
function fakeTokenizer(o: Partial<TextTokenizer> & { vocab?: string[] } = {}): TextTokenizer {
  const vocab = o.vocab ?? [
    '[PAD]',
    '[UNK]',
    '[CLS]',
    '[SEP]',
    '[MASK]',
    '[Q]',
    '[D]',
    'hello',
    'world',
    '.',
    ',',
    '!',
  ];
  const id = (t: string) => (vocab.includes(t) ? vocab.indexOf(t) : undefined);
  return {
    specialPrefix: [],
    specialSuffix: [],
    padId: 0,
    maskId: undefined,
    eosId: undefined,
    unkId: 1,
    unkToken: '[UNK]',
    vocabSize: vocab.length,
    async encodeRaw(texts) {
      return texts.map((t) =>
        t
          .split(/\s+|(?=[.,!])|(?<=[.,!])/)
          .filter(Boolean)
          .map((w) => id(w) ?? 1),
      );
    },
    tokenToId: id,
    ...o,
  };
}

const settings = (s: Partial<ColbertSettings>): ColbertSettings => ({
  markerMode: 'insert',
  queryMarker: '[Q]',
  documentMarker: '[D]',
  queryPrompt: '',
  documentPrompt: '',
  queryLength: 8,
  documentLength: 8,
  queryExpansion: { strategy: 'fixed', attend: false, token: null, length: 8 },
  skiplistWords: ['.', ','],
  skiplistUnknown: 'unk',
  skiplistRoles: ['document'],
  expansionScored: true,
  keepOnlyTokenIds: null,
  ...s,
});

async function framed(tok: TextTokenizer, s: ColbertSettings, role: 'query' | 'document', text: string) {
  const ct = await resolveColbertTokens(tok, s);
  const [raw] = await tok.encodeRaw([roleText(s, role, text)]);
  return buildColbert(tok, raw!, role, s, ct, 512);
}

describe('ColBERT framing rules', () => {
  it('inserts the PyLate marker after the first token even when the tokenizer adds no special tokens', async () => {
    const tok = fakeTokenizer({ maskId: 4 });
    const d = await framed(tok, settings({}), 'document', 'hello world');
    expect(d.ids).toEqual([7, 6, 8]);
    const withCls = fakeTokenizer({ maskId: 4, specialPrefix: [2], specialSuffix: [3] });
    expect((await framed(withCls, settings({}), 'document', 'hello world')).ids).toEqual([2, 6, 7, 8, 3]);
  });

  it("replaces colbert-ai's '. ' placeholder, the token after the first", async () => {
    const tok = fakeTokenizer({ maskId: 4, specialPrefix: [2], specialSuffix: [3] });
    const s = settings({ markerMode: 'placeholder', skiplistUnknown: 'encode' });
    expect((await framed(tok, s, 'document', 'hello')).ids).toEqual([2, 6, 7, 3]);
    const q = await framed(tok, s, 'query', 'hello');
    expect(q.ids).toEqual([2, 5, 7, 3, 4, 4, 4, 4]);
    expect(q.attention).toEqual([1, 1, 1, 1, 0, 0, 0, 0]);
    expect(q.scored).toEqual([1, 1, 1, 1, 1, 1, 1, 1]);
  });

  it('falls back from [MASK] to EOS, then (PyLate) the pad token, for query expansion', async () => {
    const s = settings({});
    expect((await framed(fakeTokenizer({ maskId: 4, eosId: 3 }), s, 'query', 'hello')).ids.at(-1)).toBe(4);
    expect((await framed(fakeTokenizer({ eosId: 3 }), s, 'query', 'hello')).ids.at(-1)).toBe(3);
    expect((await framed(fakeTokenizer({}), s, 'query', 'hello')).ids.at(-1)).toBe(0);
    // sentence-transformers 6 has no pad fallback: it is an error that says what to set.
    await expect(framed(fakeTokenizer({}), settings({ markerMode: 'prompt' }), 'query', 'hello')).rejects.toThrow(
      /neither; set queryExpansion\.token/,
    );
  });

  it('resolves skiplist words that are not one token as each library does', async () => {
    const tok = fakeTokenizer({ maskId: 4 });
    const words = ['.', '?'];
    const ids = async (unknown: ColbertSettings['skiplistUnknown']) =>
      [
        ...(await resolveColbertTokens(tok, settings({ skiplistWords: words, skiplistUnknown: unknown }))).skiplist,
      ].sort();
    expect(await ids('unk')).toEqual([1, 9]); // PyLate: convert_tokens_to_ids('?') is the unknown token
    expect(await ids('drop')).toEqual([9]); // sentence-transformers 6 drops it
    expect(await ids('encode')).toEqual([0, 1, 9]); // colbert-ai: first id of '?' alone, and the pad id
  });

  it('scores expansion rows and applies the skiplist to queries only where the multi-vector mask says so', async () => {
    const tok = fakeTokenizer({ maskId: 4 });
    const s = settings({
      markerMode: 'prompt',
      queryPrompt: '[Q] ',
      skiplistUnknown: 'drop',
      skiplistRoles: ['query', 'document'],
    });
    const q = await framed(tok, s, 'query', 'hello , world');
    expect(q.ids).toEqual([5, 7, 10, 8, 4, 4, 4, 4]);
    expect(q.scored).toEqual([1, 1, 0, 1, 1, 1, 1, 1]);
    const unscoredExpansion = await framed(tok, { ...s, expansionScored: false }, 'query', 'hello');
    expect(unscoredExpansion.scored).toEqual([1, 1, 0, 0, 0, 0, 0, 0]);
  });

  it('expands to at least the length with strategy min, and truncates to it with fixed', async () => {
    const tok = fakeTokenizer({ maskId: 4 });
    const long = 'hello world '.repeat(6);
    const fixed = await framed(tok, settings({ markerMode: 'prompt' }), 'query', long);
    expect(fixed.ids.length).toBe(8);
    expect(fixed.truncated).toBe(true);
    const min = await framed(
      tok,
      settings({
        markerMode: 'prompt',
        queryLength: 10,
        queryExpansion: { strategy: 'min', attend: true, token: null, length: 4 },
      }),
      'query',
      long,
    );
    expect(min.ids.length).toBe(10);
    const short = await framed(
      tok,
      settings({
        markerMode: 'prompt',
        queryLength: 10,
        queryExpansion: { strategy: 'min', attend: true, token: null, length: 4 },
      }),
      'query',
      'hello',
    );
    expect(short.ids).toEqual([7, 4, 4, 4]);
    expect(short.attention).toEqual([1, 1, 1, 1]);
  });

  it('keeps surrounding whitespace, as sentence-transformers 6 does (it matters to BPE tokenizers)', async () => {
    const spec = await loadModelSpec(fixtures.modernbert);
    const tok = await HfTextTokenizer.fromFolder(nodeFiles, spec.transformerDir);
    expect(roleText(spec.colbert!, 'query', '  padded  ')).toBe('  padded  ');
    const [spaced, bare] = await tok.encodeRaw(['  padded  ', 'padded']);
    expect(spaced).not.toEqual(bare);
    expect(spaced!.length).toBeGreaterThan(bare!.length + 1);
  });

  it('lowercases through the normalizer when sentence_bert_config.json says do_lower_case, keeping added tokens', async () => {
    const plain = await HfTextTokenizer.fromFolder(nodeFiles, fixtures.modernbert);
    const lower = await HfTextTokenizer.fromFolder(nodeFiles, fixtures.modernbert, {}, { lowercase: true });
    const [a] = await plain.encodeRaw(['[Q] MiXeD']);
    const [b] = await lower.encodeRaw(['[Q] MiXeD']);
    const [c] = await plain.encodeRaw(['[Q] mixed']);
    expect(b).toEqual(c);
    expect(a).not.toEqual(b);
    expect(b![0]).toBe(plain.tokenToId('[Q] '));
  });
});
