import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { TesseraError } from '../errors.js';
import { readJsonObject as readJson, type Json } from '../model/json.js';
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

/** Tokenizer over Hugging Face `tokenizers`, loaded from tokenizer.json or vocab.txt. */
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
    this.vocabSize = tok.getVocabSize(true);
  }

  /** Loads the tokenizer of a model folder (the folder that holds tokenizer.json or vocab.txt). */
  static async fromFolder(dir: string, modelConfig: Record<string, unknown> = {}, options: TokenizerLoadOptions = {}): Promise<HfTextTokenizer> {
    const tk = tokenizers();
    const cfg = readJson(join(dir, 'tokenizer_config.json')) ?? {};
    const specialMap = readJson(join(dir, 'special_tokens_map.json')) ?? {};
    const special = (key: string): string | undefined => tokenString(cfg[key]) ?? tokenString(specialMap[key]);
    let tok: HfTokenizer;
    const specialIds = new Set<number>();
    const jsonPath = join(dir, 'tokenizer.json');
    const vocabPath = join(dir, 'vocab.txt');
    if (existsSync(jsonPath)) {
      let json: Json;
      try {
        json = JSON.parse(readFileSync(jsonPath, 'utf8')) as Json;
        if (!json || typeof json !== 'object' || Array.isArray(json)) throw new Error('not a JSON object');
      } catch (e) {
        throw new TesseraError('CORRUPT_FILE', `${jsonPath}: not valid JSON (${(e as Error).message})`, { file: jsonPath }, { cause: e });
      }
      // sentence-transformers lowercases through the tokenizer's normalizer, so added special tokens keep their case.
      if (options.lowercase && !hasLowercase(json.normalizer)) json.normalizer = json.normalizer ? { type: 'Sequence', normalizers: [{ type: 'Lowercase' }, json.normalizer] } : { type: 'Lowercase' };
      for (const t of Array.isArray(json.added_tokens) ? (json.added_tokens as Json[]) : []) if (t.special === true && typeof t.id === 'number') specialIds.add(t.id);
      try {
        tok = tk.Tokenizer.fromString(JSON.stringify(json));
      } catch (e) {
        throw new TesseraError('CORRUPT_FILE', `${jsonPath}: cannot be loaded as a tokenizer (${(e as Error).message})`, { file: jsonPath }, { cause: e });
      }
    } else if (existsSync(vocabPath)) {
      const lower = cfg.do_lower_case !== false || !!options.lowercase;
      const unk = special('unk_token') ?? '[UNK]';
      tok = new tk.Tokenizer(await tk.WordPiece.fromFile(vocabPath, { unkToken: unk }));
      tok.setNormalizer(tk.bertNormalizer({ lowercase: lower, cleanText: true, handleChineseChars: true, ...(cfg.strip_accents === false ? { stripAccents: false } : {}) }));
      tok.setPreTokenizer(tk.bertPreTokenizer());
      tok.setDecoder(tk.wordPieceDecoder('##', true));
      const specials = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'].filter((s) => tok.tokenToId(s) !== null);
      tok.addSpecialTokens(specials);
      for (const s of specials) specialIds.add(tok.tokenToId(s)!);
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
    const eosId = lookup(special('eos_token'));
    const unkToken = special('unk_token') ?? (lookup('[UNK]') !== undefined ? '[UNK]' : lookup('<unk>') !== undefined ? '<unk>' : undefined);
    const unkId = lookup(unkToken);
    const [withSpecials] = await tok.encodeBatch(['a'], { addSpecialTokens: true });
    const [bare] = await tok.encodeBatch(['a'], { addSpecialTokens: false });
    const full = withSpecials!.getIds();
    const raw = bare!.getIds();
    const at = full.findIndex((_, i) => raw.every((id, j) => full[i + j] === id));
    const prefix = at >= 0 ? full.slice(0, at) : [];
    const suffix = at >= 0 ? full.slice(at + raw.length) : [];
    for (const id of [...prefix, ...suffix]) specialIds.add(id);
    return new HfTextTokenizer(tok, { specialPrefix: prefix, specialSuffix: suffix, padId, maskId, eosId, unkId, unkToken, specialIds });
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
