import { isOutOfMemory, textTooLarge } from './backend/out-of-memory.js';
import type { LoadedModel, PaddedBatch, ForwardOutput } from './backend/types.js';
import { planBatches, padBatch, type BatchLimits, type PlannedItem } from './batching/plan.js';
import { runDeviceLoops } from './batching/device-loops.js';
import {
  buildColbert,
  buildPlain,
  promptTokenCount,
  resolveColbertTokens,
  roleText,
  type ColbertTokens,
} from './colbert/inputs.js';
import { TesseraError } from './errors.js';
import { applyDenseLayers } from './postprocess/dense-apply.js';
import type { ModelSpec } from './model/spec.js';
import { poolRows } from './postprocess/pooling.js';
import { projectRows } from './postprocess/project.js';
import { extractRows, normalizeRows } from './postprocess/rows.js';
import type { TextTokenizer } from './tokenizer/types.js';
import type { DenseEmbedding, EncodeRole, ProgressEvent, TokenEmbeddings } from './types.js';

export type EncodeKind = EncodeRole | 'dense';
type Output<K extends EncodeKind> = K extends 'dense' ? DenseEmbedding : TokenEmbeddings;

export interface EncodeCallOptions extends Partial<BatchLimits> {
  onProgress?: (e: ProgressEvent) => void;
  /** Rows of this width (Matryoshka); must be one the model declares. */
  dimension?: number;
  /** Text prepended to every input instead of the model's own prompt ('' for none). */
  prompt?: string;
  /** A prompt of the model's config_sentence_transformers.json, by name. */
  promptName?: string;
  /**
   * Dense models: which prompt applies when neither prompt nor promptName is given, as
   * sentence-transformers' encode_query / encode_document choose (default: the default prompt).
   */
  role?: 'query' | 'document';
  /** Dense models: L2-normalize after Matryoshka truncation (sentence-transformers' normalize_embeddings). */
  normalize?: boolean;
  /** Called after each forward pass with its size, tokens and time. */
  onBatch?: (stats: BatchStats) => void;
}

/** One forward pass: texts, real tokens, padded positions computed, and the engine's time. */
export interface BatchStats {
  size: number;
  tokens: number;
  paddedTokens: number;
  forwardMs: number;
  /** The device that ran it (a pool spreads batches over several). */
  device: string;
  /** Times the batch was halved after running out of memory (0 normally). */
  splits: number;
}

/** The token budget shrank after a batch ran out of memory. */
export interface BudgetChange {
  device: string;
  /** Padded tokens of the batch that did not fit. */
  failedTokens: number;
  before: number;
  after: number;
  message: string;
}

/** A batch as the engine ran it: after an out-of-memory split, a piece of the planned batch. */
interface Ran {
  items: PlannedItem[];
  padded: PaddedBatch;
  out: ForwardOutput;
}

/** Validates that every input is a string and names the first that is not. */
export function checkTexts(texts: unknown): asserts texts is string[] {
  if (!Array.isArray(texts))
    throw new TesseraError(
      'INVALID_INPUT',
      `expected an array of strings, got ${texts === null ? 'null' : typeof texts}`,
      {},
    );
  for (let i = 0; i < texts.length; i++) {
    if (typeof texts[i] !== 'string') {
      const v = texts[i];
      throw new TesseraError(
        'INVALID_INPUT',
        `input at index ${i} is ${v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v}, expected a string`,
        { index: i },
      );
    }
  }
}

/**
 * Turns texts into embeddings with a loaded model (or a pool of them, one per device): tokenize,
 * frame (ColBERT rules), sort and cut batches, one forward pass per batch, post-process on the JS
 * thread, restore input order. A batch that runs out of memory is halved and retried, and the
 * token budget shrinks for the rest of the run.
 */
export class Encoder {
  readonly spec: ModelSpec;
  /** Called when an out-of-memory error shrank the token budget. */
  onBudgetChange?: (change: BudgetChange) => void;
  /** The token budget after out-of-memory errors (undefined: none happened). */
  private budgetCap: number | undefined;
  readonly tokenizer: TextTokenizer;
  private readonly models: LoadedModel[];
  private readonly colbertTokens: ColbertTokens | undefined;
  readonly defaults: BatchLimits;

  private constructor(
    spec: ModelSpec,
    tokenizer: TextTokenizer,
    models: LoadedModel[],
    colbertTokens: ColbertTokens | undefined,
    defaults: BatchLimits,
  ) {
    this.spec = spec;
    this.tokenizer = tokenizer;
    this.models = models;
    this.colbertTokens = colbertTokens;
    this.defaults = defaults;
  }

  /** One model, or a pool of the same model on several devices (batches go to whichever is free). */
  static async create(
    spec: ModelSpec,
    tokenizer: TextTokenizer,
    model: LoadedModel | LoadedModel[],
    defaults: BatchLimits,
  ): Promise<Encoder> {
    const ct = spec.colbert ? await resolveColbertTokens(tokenizer, spec.colbert) : undefined;
    return new Encoder(spec, tokenizer, Array.isArray(model) ? model : [model], ct, defaults);
  }

  get device(): string {
    return this.models.map((m) => m.device).join(',');
  }

  get devices(): string[] {
    return this.models.map((m) => m.device);
  }

  /** The first device's model (the one whose engine scores, when it can). */
  get primaryModel(): LoadedModel {
    return this.models[0]!;
  }

  get engine(): string {
    return this.models[0]!.engine;
  }

  /** The batch limits calls use now: the defaults, with the token budget an out-of-memory error left. */
  get currentLimits(): BatchLimits {
    return { ...this.defaults, maxTokens: Math.min(this.defaults.maxTokens, this.budgetCap ?? Infinity) };
  }

  /** The prompt a call uses: explicit text, a named prompt, or the model's own choice for the role. */
  private promptFor(
    kind: EncodeKind,
    o: Pick<EncodeCallOptions, 'prompt' | 'promptName' | 'role'>,
  ): string | undefined {
    if (o.prompt !== undefined) {
      if (typeof o.prompt !== 'string')
        throw new TesseraError('INVALID_OPTION', `prompt must be a string (got ${typeof o.prompt})`, {
          field: 'prompt',
        });
      return o.prompt;
    }
    const { prompts, defaultPromptName } = this.spec;
    if (o.promptName !== undefined) {
      if (!(o.promptName in prompts))
        throw new TesseraError(
          'INVALID_OPTION',
          `prompt "${o.promptName}" is not one of ${this.spec.dir}'s prompts (${Object.keys(prompts).join(', ') || 'none'})`,
          { field: 'promptName' },
        );
      return prompts[o.promptName];
    }
    if (kind !== 'dense') return undefined; // ColBERT settings hold each role's prompt
    const names = o.role === 'query' ? ['query'] : o.role === 'document' ? ['document', 'passage', 'corpus'] : [];
    const own = names.find((n) => n in prompts);
    if (own !== undefined) return prompts[own];
    return defaultPromptName !== null ? prompts[defaultPromptName] : undefined;
  }

  /** Tokenizes and frames texts for a role, without running the model. */
  async prepare(
    texts: readonly string[],
    kind: EncodeKind,
    offset = 0,
    options: Pick<EncodeCallOptions, 'prompt' | 'promptName' | 'role'> = {},
  ): Promise<PlannedItem[]> {
    const prompt = this.promptFor(kind, options);
    if (kind === 'dense') {
      if (this.spec.kind !== 'dense')
        throw new TesseraError(
          'INVALID_OPTION',
          `${this.spec.dir} is a ColBERT model; encode queries or documents, not dense vectors`,
          {},
        );
      const p = prompt ?? '';
      const raw = await this.tokenizer.encodeRaw(texts.map((t) => p + t));
      const exclude =
        p && !this.spec.poolingIncludesPrompt
          ? promptTokenCount(this.tokenizer, (await this.tokenizer.encodeRaw([p]))[0]!)
          : 0;
      return raw.map((ids, i) => ({
        ...buildPlain(this.tokenizer, ids, this.spec.maxLength, exclude),
        index: offset + i,
      }));
    }
    const s = this.spec.colbert;
    if (!s || !this.colbertTokens)
      throw new TesseraError(
        'INVALID_OPTION',
        `${this.spec.dir} is a dense model; use encodeDense() instead of query/document encoding`,
        {},
      );
    const raw = await this.tokenizer.encodeRaw(texts.map((t) => roleText(s, kind, t, prompt)));
    return raw.map((ids, i) => ({
      ...buildColbert(this.tokenizer, ids, kind, s, this.colbertTokens!, this.spec.positionLimit),
      index: offset + i,
    }));
  }

  resolveDimension(dimension: number | undefined): number {
    const full = this.spec.kind === 'dense' ? (this.spec.dimensions[0] ?? this.spec.outputDim) : this.spec.outputDim;
    if (dimension === undefined) return full;
    if (typeof dimension !== 'number' || !Number.isInteger(dimension) || dimension < 1)
      throw new TesseraError(
        'INVALID_OPTION',
        `dimension must be a positive integer (got ${JSON.stringify(dimension)})`,
        { field: 'dimension' },
      );
    // A model that declares Matryoshka dimensions takes only those; otherwise any width up to the full one.
    const declared = this.spec.dimensions.length > 1;
    if (dimension > full || (declared && !this.spec.dimensions.includes(dimension)))
      throw new TesseraError(
        'UNSUPPORTED_DIMENSION',
        `dimension ${dimension} is not supported by ${this.spec.dir}; ` +
          `${declared ? `supported: ${this.spec.dimensions.join(', ')}` : `it must be at most ${full}`}`,
        { dimension, supported: declared ? this.spec.dimensions : [full] },
      );
    return dimension;
  }

  async encode<K extends EncodeKind>(
    texts: readonly string[],
    kind: K,
    options: EncodeCallOptions = {},
  ): Promise<Output<K>[]> {
    checkTexts(texts);
    const dim = this.resolveDimension(options.dimension);
    const items = await this.prepare(texts, kind, 0, options);
    const results = new Array<Output<K>>(texts.length);
    await this.run(items, kind, dim, options, texts.length, 0, (r) => {
      results[r.index] = r as Output<K>;
    });
    return results;
  }

  /**
   * Streams an input iterable in windows; memory stays bounded by the window. The next window is
   * tokenized while the current one runs; results come out in input order.
   */
  async *encodeStream<K extends EncodeKind>(
    input: Iterable<string> | AsyncIterable<string>,
    kind: K,
    options: EncodeCallOptions & { windowSize?: number } = {},
  ): AsyncGenerator<Output<K>> {
    const dim = this.resolveDimension(options.dimension);
    if (kind === 'dense' && this.spec.kind !== 'dense')
      throw new TesseraError(
        'INVALID_OPTION',
        `${this.spec.dir} is a ColBERT model; stream queries or documents, not dense vectors`,
        { field: 'as' },
      );
    if (kind !== 'dense' && this.spec.kind === 'dense')
      throw new TesseraError('INVALID_OPTION', `${this.spec.dir} is a dense model; stream with as: 'dense'`, {
        field: 'as',
      });
    const windowSize = options.windowSize ?? Math.max(256, (options.maxBatchSize ?? this.defaults.maxBatchSize) * 8);
    const iterator = (
      Symbol.asyncIterator in input
        ? (input as AsyncIterable<string>)[Symbol.asyncIterator]()
        : (input as Iterable<string>)[Symbol.iterator]()
    ) as AsyncIterator<string> | Iterator<string>;
    let offset = 0;
    const started = Date.now();
    const readWindow = async (): Promise<string[]> => {
      const out: string[] = [];
      while (out.length < windowSize) {
        const n = await iterator.next();
        if (n.done) break;
        if (typeof n.value !== 'string')
          throw new TesseraError(
            'INVALID_INPUT',
            `input at index ${offset + out.length} is ${typeof n.value}, expected a string`,
            { index: offset + out.length },
          );
        out.push(n.value);
      }
      return out;
    };
    let texts = await readWindow();
    let prepared = this.prepare(texts, kind, offset, options);
    let tokens = 0;
    while (texts.length) {
      const items = await prepared;
      const base = offset;
      offset += texts.length;
      // Read and tokenize the next window while this one runs through the model.
      const nextTexts = readWindow();
      const nextPrepared = nextTexts.then((t) => this.prepare(t, kind, offset, options));
      nextPrepared.catch(() => undefined);
      const window = new Array<Output<K>>(texts.length);
      await this.run(items, kind, dim, { ...options, onProgress: undefined }, undefined, base, (r) => {
        window[r.index - base] = r as Output<K>;
      });
      tokens += items.reduce((s, it) => s + it.ids.length, 0);
      options.onProgress?.({ role: kind, done: offset, total: undefined, tokens, elapsedMs: Date.now() - started });
      for (const r of window) yield r;
      texts = await nextTexts;
      prepared = nextPrepared;
    }
  }

  private limits(options: EncodeCallOptions): BatchLimits {
    const limits: BatchLimits = {
      maxBatchSize: options.maxBatchSize ?? this.defaults.maxBatchSize,
      maxTokens: Math.min(options.maxTokens ?? this.defaults.maxTokens, this.budgetCap ?? Infinity),
      sortByLength: options.sortByLength ?? this.defaults.sortByLength,
    };
    const pad = options.maxPaddingShare ?? this.defaults.maxPaddingShare;
    if (pad !== undefined) {
      if (!(pad >= 0 && pad <= 1))
        throw new TesseraError('INVALID_OPTION', `maxPaddingShare must be between 0 and 1 (got ${pad})`, {
          field: 'maxPaddingShare',
        });
      limits.maxPaddingShare = pad;
    }
    if (!(limits.maxBatchSize >= 1) || !Number.isInteger(limits.maxBatchSize))
      throw new TesseraError('INVALID_OPTION', `maxBatchSize must be a positive integer (got ${limits.maxBatchSize})`, {
        field: 'maxBatchSize',
      });
    if (!(limits.maxTokens >= 1))
      throw new TesseraError('INVALID_OPTION', `maxTokens must be a positive number (got ${limits.maxTokens})`, {
        field: 'maxTokens',
      });
    return limits;
  }

  private async run(
    items: PlannedItem[],
    kind: EncodeKind,
    dim: number,
    options: EncodeCallOptions,
    total: number | undefined,
    base: number,
    emit: (r: TokenEmbeddings | DenseEmbedding) => void,
  ): Promise<void> {
    let limits = this.limits(options);
    let batches = planBatches(items, limits);
    const started = Date.now();
    let done = 0;
    let tokens = 0;
    const next = () => {
      // After an out-of-memory error the rest is planned again under the smaller budget.
      if (this.budgetCap !== undefined && this.budgetCap < limits.maxTokens) {
        limits = this.limits(options);
        batches = planBatches(batches.flat(), limits);
      }
      return batches.shift();
    };
    await this.runBatches(
      next,
      kind,
      dim,
      options,
      (r) => emit(r),
      (stats) => {
        done += stats.size;
        tokens += stats.tokens;
        options.onBatch?.(stats);
        options.onProgress?.({ role: kind, done: base + done, total, tokens, elapsedMs: Date.now() - started });
      },
    );
  }

  /**
   * Runs batches pulled from `next` until it returns undefined, pipelined: as soon as a batch's
   * forward pass returns, the next one is pulled, padded and sent to the engine, and only then is
   * the finished batch post-processed. A caller with its own queue (a server) decides each batch
   * when the engine can take it; its `next` may be async (to let arrivals land first).
   */
  async runBatches(
    next: () => PlannedItem[] | undefined | Promise<PlannedItem[] | undefined>,
    kind: EncodeKind,
    dim: number,
    options: Pick<EncodeCallOptions, 'normalize'>,
    emit: (r: TokenEmbeddings | DenseEmbedding, item: PlannedItem) => void,
    onBatch?: (stats: BatchStats) => void,
    onBatchError?: (error: unknown, items: PlannedItem[]) => void,
  ): Promise<void> {
    await runDeviceLoops({
      devices: this.models,
      next: async () => {
        const batch = await next();
        return batch?.length ? batch : undefined;
      },
      start: async (model, batch) => {
        const splits = { n: 0 };
        return { ran: await this.forwardSplitting(model, batch, splits), splits: splits.n };
      },
      finish: (model, _batch, { ran, splits }, forwardMs) => {
        for (const r of ran)
          r.items.forEach((it, i) => emit(this.postprocess(r.out, i, it, kind, dim, !!options.normalize), it));
        const all = ran.flatMap((r) => r.items);
        onBatch?.({
          size: all.length,
          tokens: all.reduce((s, it) => s + it.ids.length, 0),
          paddedTokens: ran.reduce((s, r) => s + r.padded.batchSize * r.padded.seqLen, 0),
          forwardMs,
          device: model.device,
          splits,
        });
      },
      onError: onBatchError,
    });
  }

  /**
   * One forward pass, or, when the batch runs out of memory, its two halves (recursively, down to
   * single texts). The budget shrinks to half of what failed, for the rest of the run.
   */
  private async forwardSplitting(model: LoadedModel, items: PlannedItem[], splits: { n: number }): Promise<Ran[]> {
    const padded = padBatch(items, this.tokenizer.padId);
    try {
      return [{ items, padded, out: await this.forward(model, padded) }];
    } catch (e) {
      if (!isOutOfMemory(e)) throw e;
      if (items.length === 1) throw textTooLarge(items[0]!.index, items[0]!.ids.length, model.device, e);
      splits.n++;
      this.shrink(model.device, padded.batchSize * padded.seqLen, e);
      // Halves of a length-sorted batch: each padded to its own longest text.
      const half = Math.ceil(items.length / 2);
      const a = await this.forwardSplitting(model, items.slice(0, half), splits);
      const b = await this.forwardSplitting(model, items.slice(half), splits);
      return [...a, ...b];
    }
  }

  private shrink(device: string, failedTokens: number, cause: unknown): void {
    const before = Math.min(this.defaults.maxTokens, this.budgetCap ?? Infinity);
    const after = Math.max(1, Math.min(before, Math.floor(failedTokens / 2)));
    if (after >= before) return;
    this.budgetCap = after;
    const message =
      `${device} ran out of memory on a batch of ${failedTokens} padded tokens ` +
      `(${String((cause as Error)?.message ?? cause).split('\n')[0]}); split it and retried, and the token ` +
      `budget is now ${after} (was ${before}) for the rest of the run`;
    this.onBudgetChange?.({ device, failedTokens, before, after, message });
  }

  private async forward(model: LoadedModel, batch: PaddedBatch): Promise<ForwardOutput> {
    let out = await model.forward(batch);
    if (model.projected === false) {
      if (out.dim !== this.spec.hiddenSize)
        throw new TesseraError(
          'BACKEND_FAILED',
          `backend returned rows of dim ${out.dim} with projected: false; the backbone's rows have the hidden size ` +
            `${this.spec.hiddenSize}`,
          {},
        );
      out = projectRows(this.spec.projection, out);
    }
    const expected = batch.batchSize * batch.seqLen * out.dim;
    if (
      out.batchSize !== batch.batchSize ||
      out.seqLen !== batch.seqLen ||
      out.data.length !== expected ||
      out.dim !== this.spec.outputDim
    )
      throw new TesseraError(
        'BACKEND_FAILED',
        `backend returned batchSize ${out.batchSize}, seqLen ${out.seqLen}, dim ${out.dim} and ` +
          `${out.data.length} floats for a ${batch.batchSize}x${batch.seqLen} batch; expected dim ` +
          `${this.spec.outputDim} and ${batch.batchSize}x${batch.seqLen}x${this.spec.outputDim} = ` +
          `${batch.batchSize * batch.seqLen * this.spec.outputDim} ` +
          `floats${out.dim === this.spec.hiddenSize && out.dim !== this.spec.outputDim ? ' (rows of the hidden size: is the projection missing?)' : ''}`,
        {},
      );
    return out;
  }

  private postprocess(
    out: ForwardOutput,
    i: number,
    it: PlannedItem,
    kind: EncodeKind,
    dim: number,
    renormalize: boolean,
  ): TokenEmbeddings | DenseEmbedding {
    const meta = { index: it.index, tokens: it.ids.length, truncated: it.truncated };
    const scored = it.scored ?? it.attention;
    if (kind === 'dense') {
      let v = poolRows(out, i, scored, this.spec.pooling ?? ['mean']);
      if (this.spec.denseLayers.length) v = applyDenseLayers(this.spec.denseLayers, v);
      if (this.spec.normalize) normalizeRows(v, 1, v.length);
      // sentence-transformers truncates after its modules and renormalizes only when asked.
      if (dim < v.length) v = v.slice(0, dim);
      if (renormalize) normalizeRows(v, 1, v.length);
      return { index: it.index, dim: v.length, data: v, tokens: meta.tokens, truncated: meta.truncated };
    }
    const positions: number[] = [];
    for (let p = 0; p < it.ids.length; p++) if (scored[p]) positions.push(p);
    // Truncated (Matryoshka) rows are renormalized so that MaxSim stays a sum of cosines.
    return extractRows(out, i, positions, it.ids, dim, meta, this.spec.normalize || dim < out.dim);
  }

  async dispose(): Promise<void> {
    await Promise.all(this.models.map((m) => m.dispose()));
  }
}
