import type { NearestCentroids } from './plaid/kmeans.js';
import { EventEmitter } from 'eventemitter3';
import { pickDevice, parseDevice, type DeviceRequest } from './backend/device.js';
import type { Backend, LoadedModel } from './backend/types.js';
import type { BatchLimits, PlannedItem } from './batching/plan.js';
import { indexDocuments, type IndexDocument, type IndexOptions, type IndexSummary } from './store/index-documents.js';
import { buildLateIndex, updateLateIndex, type LateIndexOptions, type LateIndexSummary } from './store/late-index.js';
import { searchIndex, type SearchOptions, type SearchReport, type SearchResult } from './store/search-index.js';
import type { Store } from './store/types.js';
import { Encoder, checkTexts, type EncodeCallOptions } from './encoder.js';
import { TesseraError } from './errors.js';
import type { DownloadProgress } from './hub/download.js';
import type { HubSettings } from './hub/env.js';
import { checkContract } from './backend/contract.js';
import type { ColbertOverrides } from './model/colbert-settings.js';
import type { ModelFiles } from './io/model-files.js';
import { platform } from './platform/node.js';
import type { ModelSpec } from './model/spec.js';
import { cosine } from './scoring/dense.js';
import { maxSim, maxSimMany, topK, type RowMatrix } from './scoring/maxsim.js';
import { quantize } from './scoring/quantize.js';
import type { ScorerDocument } from './scoring/packed.js';
import { DocumentScorer, type ScorerOptions } from './scoring/scorer.js';
import { HfTextTokenizer } from './tokenizer/hf-tokenizer.js';
import type { TextTokenizer } from './tokenizer/types.js';
import type { DenseEmbedding, QuantizationKind, QuantizedEmbeddings, TokenEmbeddings } from './types.js';

export interface CreateOptions {
  /** Registry id, Hugging Face repo id ("org/name[@rev]") or local folder. Default: the registry's default model. */
  model?: string;
  /** Backend name, 'auto' (highest priority installed), or a Backend object. */
  backend?: string | Backend;
  /** 'auto', 'cpu', 'cuda', 'cuda:N', 'mps'. */
  device?: string;
  /**
   * A pool: the model loaded once per device, batches going to whichever is free
   * (['cuda:0', 'cuda:1'], or 'all' for every available accelerator). Instead of `device`.
   */
  devices?: string[] | 'all';
  /** Fail instead of falling back to the CPU when the device is unavailable. */
  strict?: boolean;
  /** Matryoshka dimension for every call (one the model declares, or any width up to the full one when it declares none). */
  dimension?: number;
  threads?: number;
  /** Weight variant, e.g. 'q8' for onnx/model_quantized.onnx. */
  dtype?: string;
  /** Batching defaults; measured defaults per device otherwise. */
  batch?: Partial<BatchLimits>;
  /** ColBERT settings that win over the checkpoint's. */
  colbert?: ColbertOverrides;
  /** Matryoshka dimensions for local folders (registry models declare theirs). */
  dimensions?: number[];
  hub?: Partial<HubSettings>;
  /** Branch, tag or commit of a hub model (default: the registry's pinned commit, else main). */
  revision?: string;
  backendOptions?: Record<string, unknown>;
  onWarning?: (message: string) => void;
  onDownloadProgress?: (p: DownloadProgress) => void;
  /**
   * Browsers: the model's files already in memory (picked by the user, or fetched by the app),
   * instead of fetching `model` as a URL.
   */
  files?: ModelFiles;
  /** Replaces the tokenizer (tests). */
  tokenizer?: TextTokenizer;
}

export interface RerankResult {
  index: number;
  score: number;
  text: string;
}

/**
 * Chosen by measurement (bench/decisions.md#default-batch-limits-core): on CPU, length-sorted
 * batches under a 1024-token budget beat both one at a time and big batches; on a GPU, batches of
 * 64. On CPU, padding is pure waste (a padded position costs what a real one does and batching
 * saves nothing per token), so a batch also stops where its padding would pass 5%, which matters
 * for a server's small mixed queues.
 */
export function defaultBatchLimits(device: string): BatchLimits {
  if (device === 'cpu') return { maxBatchSize: 16, maxTokens: 1024, sortByLength: true, maxPaddingShare: 0.05 };
  return { maxBatchSize: 64, maxTokens: 32768, sortByLength: true };
}

/** The devices to load on: `device` alone, or a pool's (`devices`, 'all' for every available accelerator). */
async function poolRequests(
  backend: Backend,
  options: CreateOptions,
  single: DeviceRequest,
  warn: (m: string) => void,
): Promise<DeviceRequest[]> {
  if (options.devices === undefined) return [single];
  if (options.device !== undefined)
    throw new TesseraError('INVALID_OPTION', 'give device or devices, not both', { field: 'devices' });
  let names: string[];
  if (options.devices === 'all') {
    names = (await backend.devices()).filter((d) => d.available && d.kind !== 'cpu').map((d) => d.id);
    if (!names.length) {
      warn(`devices 'all': ${backend.name} sees no available accelerator; running on cpu`);
      names = ['cpu'];
    }
  } else {
    if (!Array.isArray(options.devices) || !options.devices.length)
      throw new TesseraError(
        'INVALID_OPTION',
        `devices must be a non-empty array of device names or 'all' (got ${JSON.stringify(options.devices)})`,
        { field: 'devices' },
      );
    names = options.devices;
  }
  const seen = new Set<string>();
  for (const n of names) {
    if (seen.has(n))
      throw new TesseraError('INVALID_OPTION', `devices lists ${n} twice; a pool holds one model per device`, {
        field: 'devices',
      });
    seen.add(n);
  }
  return names.map((n) => parseDevice(n));
}

/**
 * The public entry point: `const t = await Tessera.create({ model })`, then
 * encodeQueries / encodeDocuments / score / rerank.
 */
export class Tessera extends EventEmitter {
  readonly spec: ModelSpec;
  readonly backendName: string;
  readonly dimension: number;
  /** The model as it can be opened again: a registry or hub id (with its revision), or an absolute folder. */
  readonly modelRef: string;
  /** Where the token budget came from: given, a device default, or the GPU's free memory. */
  budgetNote = '';
  private readonly encoder: Encoder;
  private disposed = false;

  private constructor(spec: ModelSpec, backendName: string, encoder: Encoder, dimension: number, modelRef: string) {
    super();
    this.modelRef = modelRef;
    this.spec = spec;
    this.backendName = backendName;
    this.encoder = encoder;
    this.dimension = dimension;
  }

  static async create(options: CreateOptions = {}): Promise<Tessera> {
    const warnings: string[] = [];
    const warn = (m: string) => {
      warnings.push(m);
      options.onWarning?.(m);
    };
    const backend = await platform.chooseBackend(options.backend, warn);
    const request = parseDevice(options.device ?? 'auto');
    const { spec, ref: modelRef } = await platform.openModel(options, backend);
    const tokenizer =
      options.tokenizer ??
      (await HfTextTokenizer.fromFolder(spec.files, spec.transformerDir, spec.config, { lowercase: spec.lowercase }));
    for (const note of spec.notes) warn(note);
    checkContract(backend, spec);

    const load = (dev: string): Promise<LoadedModel> =>
      backend.load(spec, {
        device: dev,
        threads: options.threads,
        dtype: options.dtype,
        extra: options.backendOptions,
        onWarning: warn,
      });
    const loadOn = async (req: DeviceRequest): Promise<LoadedModel> => {
      let { device, unavailable } = await pickDevice(backend, req);
      if (unavailable) {
        if (options.strict) throw new TesseraError('DEVICE_UNAVAILABLE', `device ${unavailable}`, { device: req });
        warn(`device ${unavailable}; falling back to cpu`);
      }
      try {
        return await load(device);
      } catch (e) {
        if (!(e instanceof TesseraError && e.code === 'DEVICE_UNAVAILABLE') || device === 'cpu' || options.strict)
          throw e;
        warn(`${e.message}; falling back to cpu`);
        device = 'cpu';
        return load(device);
      }
    };
    const models: LoadedModel[] = [];
    try {
      for (const req of await poolRequests(backend, options, request, warn)) models.push(await loadOn(req));
    } catch (e) {
      await Promise.all(models.map((m) => m.dispose()));
      throw e;
    }
    const model = models[0]!;
    const limits = { ...defaultBatchLimits(model.device), ...options.batch };
    let budgetNote =
      options.batch?.maxTokens !== undefined
        ? 'given'
        : `the ${model.device.startsWith('cuda') ? 'GPU' : model.device} default`;
    if (options.batch?.maxTokens === undefined) {
      const dtypeBytes = options.dtype === 'fp16' || options.dtype === 'bf16' ? 2 : 4;
      const budget = await platform.memoryBudget(models, spec, dtypeBytes);
      if (budget) {
        limits.maxTokens = budget.tokens;
        budgetNote = budget.note;
      }
    }
    const encoder = await Encoder.create(spec, tokenizer, models, limits);
    const dimension = encoder.resolveDimension(options.dimension);
    const t = new Tessera(spec, backend.name, encoder, dimension, modelRef);
    t.budgetNote = budgetNote;
    encoder.onBudgetChange = (change) => {
      t.emit('budget', change);
      t.emit('warning', change.message);
      options.onWarning?.(change.message);
    };
    // Warnings raised while loading are replayed to listeners attached right after create().
    queueMicrotask(() => warnings.forEach((w) => t.emit('warning', w)));
    return t;
  }

  get device(): string {
    return this.encoder.device;
  }

  get engine(): string {
    return this.encoder.engine;
  }

  get kind(): ModelSpec['kind'] {
    return this.spec.kind;
  }

  /** The row width a call with this `dimension` gets; throws for one the model does not take. */
  resolveDimension(dimension?: number): number {
    return this.live().resolveDimension(dimension ?? this.dimension);
  }

  /** The batching defaults calls use (measured per device, or the caller's; the token budget an out-of-memory error shrank). */
  get batchLimits(): BatchLimits {
    return this.encoder.currentLimits;
  }

  /** The devices the model runs on (one, or a pool's). */
  get devices(): string[] {
    return this.encoder.devices;
  }

  get tokenizer(): TextTokenizer {
    return this.encoder.tokenizer;
  }

  private live(): Encoder {
    if (this.disposed) throw new TesseraError('DISPOSED', 'this Tessera instance was disposed', {});
    return this.encoder;
  }

  private opts(o: EncodeCallOptions | undefined): EncodeCallOptions {
    return { dimension: this.dimension, ...o };
  }

  async encodeQueries(texts: readonly string[], options?: EncodeCallOptions): Promise<TokenEmbeddings[]> {
    return this.live().encode(texts, 'query', this.opts(options));
  }

  async encodeDocuments(texts: readonly string[], options?: EncodeCallOptions): Promise<TokenEmbeddings[]> {
    return this.live().encode(texts, 'document', this.opts(options));
  }

  /** Single-vector embeddings (sentence-transformers dense models). */
  async encodeDense(texts: readonly string[], options?: EncodeCallOptions): Promise<DenseEmbedding[]> {
    if (this.spec.kind !== 'dense')
      throw new TesseraError(
        'INVALID_OPTION',
        `${this.spec.dir} is a ColBERT model; use encodeQueries / encodeDocuments`,
        {},
      );
    return this.live().encode(texts, 'dense', this.opts(options));
  }

  /** Streams embeddings of an (async) iterable of texts in input order, with bounded memory. */
  async *encodeStream(
    texts: Iterable<string> | AsyncIterable<string>,
    options: EncodeCallOptions & { as: 'query' | 'document' | 'dense'; windowSize?: number },
  ): AsyncGenerator<TokenEmbeddings | DenseEmbedding> {
    yield* this.live().encodeStream(texts, options.as, this.opts(options));
  }

  /** Tokenizes and frames texts as the model will see them (ids, attention, scored rows, truncation), without running it. */
  async prepare(
    texts: readonly string[],
    as: 'query' | 'document' | 'dense',
    options: Pick<EncodeCallOptions, 'prompt' | 'promptName' | 'role'> = {},
  ): Promise<PlannedItem[]> {
    checkTexts(texts);
    return this.live().prepare(texts, as, 0, options);
  }

  /**
   * Runs batches of prepared items (from prepare()) that `next` hands out one at a time, for
   * callers that queue work themselves (a server's dynamic batching): `next` is asked for the
   * next batch as soon as the engine can take it, and `onResult` gets each item's result as its
   * batch finishes. Items keep their `index`.
   */
  async encodeBatches(
    next: () => PlannedItem[] | undefined | Promise<PlannedItem[] | undefined>,
    as: 'query' | 'document' | 'dense',
    onResult: (r: TokenEmbeddings | DenseEmbedding, item: PlannedItem) => void,
    options: Pick<EncodeCallOptions, 'dimension' | 'normalize' | 'onBatch'> & {
      /**
       * A batch's failure goes here with that batch's items, and the batches after it still run
       * (on every device of a pool); without it, the first failure stops the run and is thrown.
       */
      onBatchError?: (error: unknown, items: PlannedItem[]) => void;
    } = {},
  ): Promise<void> {
    const enc = this.live();
    const dim = enc.resolveDimension(options.dimension ?? this.dimension);
    return enc.runBatches(next, as, dim, options, onResult, options.onBatch, options.onBatchError);
  }

  /**
   * Encodes documents into a store (see indexDocuments): resumable, atomic per window, the last
   * occurrence of an id wins. Refuses a store built with another model or dimension.
   */
  async index(
    store: Store,
    docs: Iterable<IndexDocument> | AsyncIterable<IndexDocument>,
    options?: IndexOptions,
  ): Promise<IndexSummary> {
    this.live();
    return indexDocuments(this, store, docs, { ...this.nearestOption(), ...options });
  }

  /** The store's best documents for a query, scored by MaxSim (see searchIndex). */
  async search(store: Store, query: string, options?: SearchOptions): Promise<SearchResult[]> {
    this.live();
    return (await searchIndex(this, store, query, options)).results;
  }

  /** search() with how it was answered: the path (compressed index or exact scan) and its time. */
  async searchReport(store: Store, query: string, options?: SearchOptions): Promise<SearchReport> {
    this.live();
    return searchIndex(this, store, query, options);
  }

  /**
   * Builds the store's compressed late-interaction index (PLAID: centroids, packed residuals,
   * inverted lists) from every document it holds; search then goes through it while the store
   * is unchanged. After writes, updateSearchIndex adds the changes without retraining.
   */
  async buildSearchIndex(store: Store, options?: LateIndexOptions): Promise<LateIndexSummary> {
    this.live();
    return buildLateIndex(store, { ...this.nearestOption(), ...options });
  }

  /**
   * Brings the store's compressed index up to date after writes: new and replaced documents are
   * encoded against the existing centroids, removed ones dropped (see updateLateIndex); builds
   * where there is none. The summary says when the corpus has grown enough that a rebuild pays.
   */
  async updateSearchIndex(store: Store, options?: LateIndexOptions): Promise<LateIndexSummary> {
    this.live();
    return updateLateIndex(store, { ...this.nearestOption(), ...options });
  }

  /**
   * Each row's nearest centroid through the engine's GEMM where the backend offers it, else
   * undefined (core's kernel is then used): what indexing and queue workers compress rows with.
   */
  get nearestCentroids(): NearestCentroids | undefined {
    const model = this.live().primaryModel;
    return model.nearestRows?.bind(model);
  }

  private nearestOption(): Pick<LateIndexOptions, 'nearest'> {
    const nearest = this.nearestCentroids;
    return nearest ? { nearest } : {};
  }

  /**
   * Packs documents once for fast repeated scoring (see DocumentScorer): float32 through the
   * model's engine when the backend offers a scorer, else core's kernel on every core; int8 and
   * binary (from t.quantize) through core.
   */
  async scorer(documents: readonly ScorerDocument[], options?: ScorerOptions): Promise<DocumentScorer> {
    this.live();
    return DocumentScorer.create(documents, { ...options, model: this.encoder.primaryModel });
  }

  /** MaxSim of one query against one document, or against each of many. */
  score(query: RowMatrix, document: RowMatrix): number;
  score(query: RowMatrix, documents: readonly RowMatrix[]): Float32Array;
  score(query: RowMatrix, docs: RowMatrix | readonly RowMatrix[]): number | Float32Array {
    return Array.isArray(docs) ? maxSimMany(query, docs) : maxSim(query, docs as RowMatrix);
  }

  /** Cosine similarity of two dense embeddings. */
  similarity(a: DenseEmbedding, b: DenseEmbedding): number {
    return cosine(a.data, b.data);
  }

  /** Encodes a query and documents and returns the documents ranked by MaxSim. */
  async rerank(
    query: string,
    documents: readonly string[],
    options: EncodeCallOptions & { topK?: number } = {},
  ): Promise<RerankResult[]> {
    if (typeof query !== 'string')
      throw new TesseraError('INVALID_INPUT', `query must be a string, got ${typeof query}`, {});
    checkTexts(documents);
    const [q] = await this.encodeQueries([query], options);
    const docs = await this.encodeDocuments(documents, options);
    // The fast path: the engine's GEMM when the backend scores, else core's packed kernel.
    const scorer = await this.scorer(docs);
    try {
      return topK(await scorer.score(q!), options.topK ?? documents.length).map((r) => ({
        ...r,
        text: documents[r.index]!,
      }));
    } finally {
      await scorer.dispose();
    }
  }

  quantize(embeddings: TokenEmbeddings, kind: QuantizationKind): QuantizedEmbeddings {
    return quantize(embeddings, kind);
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.encoder.dispose();
  }
}
