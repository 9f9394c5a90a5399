import { Tokenizer } from '@huggingface/tokenizers';
import { TesseraError } from '../errors.js';
import type { ModelFiles } from '../io/model-files.js';
import { JSON_LIMITS, parseBoundedJson, readJsonObject as readJson, type Json } from '../model/json.js';
import type { TextTokenizer } from './types.js';

/** What we use of @huggingface/tokenizers' Tokenizer (its .d.ts files do not resolve under NodeNext). */
interface HfTokenizer {
  encode(text: string, options: { add_special_tokens: boolean }): { ids: number[] };
  token_to_id(token: string): number | undefined;
  decode(ids: number[], options: { skip_special_tokens: boolean }): string;
  get_vocab(withAddedTokens: boolean): Map<string, number>;
}
const newTokenizer = (json: object, config: object): HfTokenizer =>
  new (Tokenizer as unknown as new (j: object, c: object) => HfTokenizer)(json, config);

function tokenString(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && typeof (v as { content?: unknown }).content === 'string')
    return (v as { content: string }).content;
  return undefined;
}

function hasLowercase(normalizer: unknown): boolean {
  const n = normalizer as { type?: string; normalizers?: unknown[]; lowercase?: boolean } | null;
  if (!n) return false;
  if (n.type === 'Lowercase') return true;
  if (n.type === 'BertNormalizer' && n.lowercase) return true;
  return n.type === 'Sequence' && Array.isArray(n.normalizers) && n.normalizers.some(hasLowercase);
}

export interface TokenizerLoadOptions {
  /** sentence_bert_config.json do_lower_case: lowercase the text (not the special tokens) as sentence-transformers does. */
  lowercase?: boolean;
}

/**
 * Tokenizer over Hugging Face's pure-JS `@huggingface/tokenizers` (0.6 MB, no native binary; the
 * same ids as the Rust `tokenizers` on every fixture and the bench corpus), from tokenizer.json or vocab.txt.
 */
// The largest real vocabularies hold about 260k entries; past this a tokenizer.json is hostile.
const MAX_VOCAB = 2 ** 20;

export class HfTextTokenizer implements TextTokenizer {
  readonly specialPrefix: readonly number[];
  readonly specialSuffix: readonly number[];
  readonly padId: number;
  readonly maskId: number | undefined;
  readonly eosId: number | undefined;
  readonly unkId: number | undefined;
  readonly unkToken: string | undefined;
  readonly specialIds: ReadonlySet<number>;
  readonly vocabSize: number;
  private readonly tok: HfTokenizer;

  private constructor(tok: HfTokenizer, f: Omit<HfTextTokenizer, 'encodeRaw' | 'tokenToId' | 'decode' | 'vocabSize'>) {
    this.tok = tok;
    this.specialPrefix = f.specialPrefix;
    this.specialSuffix = f.specialSuffix;
    this.padId = f.padId;
    this.maskId = f.maskId;
    this.eosId = f.eosId;
    this.unkId = f.unkId;
    this.unkToken = f.unkToken;
    this.specialIds = f.specialIds;
    this.vocabSize = tok.get_vocab(true).size;
  }

  /** Loads the tokenizer of a model folder (the folder that holds tokenizer.json or vocab.txt). */
  static async fromFolder(
    files: ModelFiles,
    dir: string,
    modelConfig: Record<string, unknown> = {},
    options: TokenizerLoadOptions = {},
  ): Promise<HfTextTokenizer> {
    const join = files.join.bind(files);
    const cfg = readJson(files, join(dir, 'tokenizer_config.json')) ?? {};
    const specialMap = readJson(files, join(dir, 'special_tokens_map.json')) ?? {};
    const special = (key: string): string | undefined => tokenString(cfg[key]) ?? tokenString(specialMap[key]);
    let tok: HfTokenizer;
    const specialIds = new Set<number>();
    const jsonPath = join(dir, 'tokenizer.json');
    const vocabPath = join(dir, 'vocab.txt');
    if (files.kind(jsonPath) === 'file') {
      const json = parseBoundedJson(files, jsonPath, JSON_LIMITS.tokenizerBytes) as Json;
      if (!json || typeof json !== 'object' || Array.isArray(json))
        throw new TesseraError('CORRUPT_FILE', `${jsonPath}: not a JSON object`, { file: jsonPath });
      const model = json.model as Json | undefined;
      const vocab = model && typeof model === 'object' ? (model.vocab as unknown) : undefined;
      const entries = Array.isArray(vocab)
        ? vocab.length
        : vocab && typeof vocab === 'object'
          ? Object.keys(vocab).length
          : 0;
      if (entries > MAX_VOCAB)
        throw new TesseraError(
          'CORRUPT_FILE',
          `${jsonPath}: a vocabulary of ${entries} entries, past the ${MAX_VOCAB} any real tokenizer has`,
          { file: jsonPath, field: 'model.vocab' },
        );
      // sentence-transformers lowercases through the tokenizer's normalizer, so added special tokens keep their case.
      if (options.lowercase && !hasLowercase(json.normalizer))
        json.normalizer = json.normalizer
          ? { type: 'Sequence', normalizers: [{ type: 'Lowercase' }, json.normalizer] }
          : { type: 'Lowercase' };
      for (const t of Array.isArray(json.added_tokens) ? (json.added_tokens as Json[]) : [])
        if (t && typeof t === 'object' && t.special === true && typeof t.id === 'number') specialIds.add(t.id);
      try {
        tok = newTokenizer(json, cfg);
      } catch (e) {
        throw new TesseraError(
          'CORRUPT_FILE',
          `${jsonPath}: cannot be loaded as a tokenizer (${(e as Error).message})`,
          { file: jsonPath },
          { cause: e },
        );
      }
    } else if (files.kind(vocabPath) === 'file') {
      // A vocab.txt folder (Stanford ColBERT): the tokenizer.json that transformers' BertTokenizerFast builds from it.
      const lower = cfg.do_lower_case !== false || !!options.lowercase;
      const unk = special('unk_token') ?? '[UNK]';
      // No prototype: tokens such as "constructor" or "__proto__" are vocabulary like any other.
      const vocab: Record<string, number> = Object.create(null);
      files
        .readText(vocabPath)
        .split(/\r?\n/)
        .forEach((t, i) => {
          if (t && !(t in vocab)) vocab[t] = i;
        });
      const size = Object.keys(vocab).length;
      if (size > MAX_VOCAB)
        throw new TesseraError(
          'CORRUPT_FILE',
          `${vocabPath}: a vocabulary of ${size} entries, past the ${MAX_VOCAB} any real tokenizer has`,
          { file: vocabPath },
        );
      const added: Json[] = [];
      for (const t of ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'])
        if (t in vocab)
          added.push({
            id: vocab[t],
            content: t,
            single_word: false,
            lstrip: false,
            rstrip: false,
            normalized: false,
            special: true,
          });
      let next = Math.max(-1, ...Object.values(vocab)) + 1;
      for (const t of Object.keys(readJson(files, join(dir, 'added_tokens.json')) ?? {}))
        if (!(t in vocab))
          added.push({
            id: next++,
            content: t,
            single_word: false,
            lstrip: false,
            rstrip: false,
            normalized: true,
            special: false,
          });
      const cls = special('cls_token') ?? '[CLS]';
      const sep = special('sep_token') ?? '[SEP]';
      if (vocab[cls] === undefined || vocab[sep] === undefined)
        throw new TesseraError('INVALID_MODEL', `${vocabPath}: has no ${cls} / ${sep} tokens`, { file: vocabPath });
      for (const t of added) if (t.special) specialIds.add(t.id as number);
      tok = newTokenizer(
        {
          added_tokens: added,
          normalizer: {
            type: 'BertNormalizer',
            clean_text: true,
            handle_chinese_chars: true,
            strip_accents: cfg.strip_accents === false ? false : null,
            lowercase: lower,
          },
          pre_tokenizer: { type: 'BertPreTokenizer' },
          model: {
            type: 'WordPiece',
            unk_token: unk,
            continuing_subword_prefix: '##',
            max_input_chars_per_word: 100,
            vocab,
          },
          post_processor: { type: 'BertProcessing', sep: [sep, vocab[sep]], cls: [cls, vocab[cls]] },
          decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
        },
        cfg,
      );
    } else {
      throw new TesseraError('INVALID_MODEL', `${dir}: no tokenizer.json or vocab.txt`, { dir });
    }
    // Truncation and padding are ours to apply (ColBERT rules differ per role); this tokenizer does neither.

    const lookup = (t: string | undefined): number | undefined => (t === undefined ? undefined : tok.token_to_id(t));
    const padId =
      lookup(special('pad_token')) ??
      lookup('[PAD]') ??
      lookup('<pad>') ??
      (typeof modelConfig.pad_token_id === 'number' ? modelConfig.pad_token_id : 0);
    const maskId = lookup(special('mask_token')) ?? lookup('[MASK]') ?? lookup('<mask>');
    const eosId = lookup(special('eos_token'));
    const unkToken =
      special('unk_token') ??
      (lookup('[UNK]') !== undefined ? '[UNK]' : lookup('<unk>') !== undefined ? '<unk>' : undefined);
    const unkId = lookup(unkToken);
    const full = tok.encode('a', { add_special_tokens: true }).ids;
    const raw = tok.encode('a', { add_special_tokens: false }).ids;
    const at = full.findIndex((_, i) => raw.every((id, j) => full[i + j] === id));
    const prefix = at >= 0 ? full.slice(0, at) : [];
    const suffix = at >= 0 ? full.slice(at + raw.length) : [];
    for (const id of [...prefix, ...suffix]) specialIds.add(id);
    return new HfTextTokenizer(tok, {
      specialPrefix: prefix,
      specialSuffix: suffix,
      padId,
      maskId,
      eosId,
      unkId,
      unkToken,
      specialIds,
    });
  }

  async encodeRaw(texts: readonly string[]): Promise<number[][]> {
    return texts.map((t) => this.tok.encode(t, { add_special_tokens: false }).ids);
  }

  tokenToId(token: string): number | undefined {
    return this.tok.token_to_id(token);
  }

  async decode(ids: number[]): Promise<string> {
    return this.tok.decode(ids, { skip_special_tokens: false });
  }
}
