import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { TesseraError } from '../errors.js';
import { readJsonObject as readJson } from '../model/json.js';
import type { TextTokenizer } from './types.js';

type TokenizersModule = typeof import('tokenizers');
type HfTokenizer = import('tokenizers').Tokenizer;

const require = createRequire(import.meta.url);
let tokenizersModule: TokenizersModule | undefined;
function tokenizers(): TokenizersModule {
  // Loaded on first use so that importing core stays cheap.
  tokenizersModule ??= require('tokenizers') as TokenizersModule;
  return tokenizersModule;
}

function tokenString(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && typeof (v as { content?: unknown }).content === 'string') return (v as { content: string }).content;
  return undefined;
}

/** Tokenizer over Hugging Face `tokenizers`, loaded from tokenizer.json or vocab.txt. */
export class HfTextTokenizer implements TextTokenizer {
  readonly specialPrefix: readonly number[];
  readonly specialSuffix: readonly number[];
  readonly padId: number;
  readonly maskId: number | undefined;
  readonly vocabSize: number;
  private readonly tok: HfTokenizer;

  private constructor(tok: HfTokenizer, prefix: number[], suffix: number[], padId: number, maskId: number | undefined) {
    this.tok = tok;
    this.specialPrefix = prefix;
    this.specialSuffix = suffix;
    this.padId = padId;
    this.maskId = maskId;
    this.vocabSize = tok.getVocabSize(true);
  }

  /** Loads the tokenizer of a model folder (the folder that holds tokenizer.json or vocab.txt). */
  static async fromFolder(dir: string, modelConfig: Record<string, unknown> = {}): Promise<HfTextTokenizer> {
    const tk = tokenizers();
    const cfg = readJson(join(dir, 'tokenizer_config.json')) ?? {};
    const specialMap = readJson(join(dir, 'special_tokens_map.json')) ?? {};
    const special = (key: string): string | undefined => tokenString(cfg[key]) ?? tokenString(specialMap[key]);
    let tok: HfTokenizer;
    const jsonPath = join(dir, 'tokenizer.json');
    const vocabPath = join(dir, 'vocab.txt');
    if (existsSync(jsonPath)) {
      try {
        tok = tk.Tokenizer.fromFile(jsonPath);
      } catch (e) {
        throw new TesseraError('CORRUPT_FILE', `${jsonPath}: cannot be loaded as a tokenizer (${(e as Error).message})`, { file: jsonPath }, { cause: e });
      }
    } else if (existsSync(vocabPath)) {
      const lower = cfg.do_lower_case !== false;
      const unk = special('unk_token') ?? '[UNK]';
      tok = new tk.Tokenizer(await tk.WordPiece.fromFile(vocabPath, { unkToken: unk }));
      tok.setNormalizer(tk.bertNormalizer({ lowercase: lower, cleanText: true, handleChineseChars: true, ...(cfg.strip_accents === false ? { stripAccents: false } : {}) }));
      tok.setPreTokenizer(tk.bertPreTokenizer());
      tok.setDecoder(tk.wordPieceDecoder('##', true));
      const specials = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'].filter((s) => tok.tokenToId(s) !== null);
      tok.addSpecialTokens(specials);
      const added = readJson(join(dir, 'added_tokens.json'));
      if (added) tok.addTokens(Object.keys(added));
      const cls = special('cls_token') ?? '[CLS]';
      const sep = special('sep_token') ?? '[SEP]';
      const clsId = tok.tokenToId(cls);
      const sepId = tok.tokenToId(sep);
      if (clsId === null || sepId === null) throw new TesseraError('INVALID_MODEL', `${vocabPath}: has no ${cls} / ${sep} tokens`, { file: vocabPath });
      tok.setPostProcessor(tk.bertProcessing([sep, sepId], [cls, clsId]));
    } else {
      throw new TesseraError('INVALID_MODEL', `${dir}: no tokenizer.json or vocab.txt`, { dir });
    }
    // Truncation and padding are ours to apply (ColBERT rules differ per role).
    tok.disableTruncation();
    tok.disablePadding();

    const lookup = (t: string | undefined): number | undefined => (t === undefined ? undefined : (tok.tokenToId(t) ?? undefined));
    const padId = lookup(special('pad_token')) ?? lookup('[PAD]') ?? lookup('<pad>') ?? (typeof modelConfig.pad_token_id === 'number' ? modelConfig.pad_token_id : 0);
    const maskId = lookup(special('mask_token')) ?? lookup('[MASK]') ?? lookup('<mask>');
    const [withSpecials] = await tok.encodeBatch(['a'], { addSpecialTokens: true });
    const [bare] = await tok.encodeBatch(['a'], { addSpecialTokens: false });
    const full = withSpecials!.getIds();
    const raw = bare!.getIds();
    const at = full.findIndex((_, i) => raw.every((id, j) => full[i + j] === id));
    const prefix = at >= 0 ? full.slice(0, at) : [];
    const suffix = at >= 0 ? full.slice(at + raw.length) : [];
    return new HfTextTokenizer(tok, prefix, suffix, padId, maskId);
  }

  async encodeRaw(texts: readonly string[]): Promise<number[][]> {
    if (texts.length === 0) return [];
    const enc = await this.tok.encodeBatch(texts as string[], { addSpecialTokens: false });
    return enc.map((e) => e.getIds());
  }

  tokenToId(token: string): number | undefined {
    return this.tok.tokenToId(token) ?? undefined;
  }

  async decode(ids: number[]): Promise<string> {
    return this.tok.decode(ids, false);
  }
}
