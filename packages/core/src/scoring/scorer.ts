import type { EngineScorer, LoadedModel, PackedRows } from '../backend/types.js';
import { TesseraError } from '../errors.js';
import { checkMatrix, topK, type Ranked, type RowMatrix } from './maxsim.js';
import { cores } from './pool.js';
import { PackedDocuments, checkDocuments, type PackedKind, type ScorerDocument } from './packed.js';

export interface ScorerOptions {
  /** 'auto' (default): the model's engine for float32 when it offers one, else core's kernel; 'core': core's kernel. */
  engine?: 'auto' | 'core';
  /** Threads for core's kernel (default: every core). */
  threads?: number;
}

/**
 * Many documents packed once, scored against queries as often as needed: `score(query)` gives
 * every document's MaxSim, `topK(query, k)` the best, `scoreMany(queries)` one array per query.
 * float32 goes through the model's engine (a GEMM) when it offers one, else core's blocked
 * WebAssembly kernel on worker threads; int8 (per-row scales) and binary through core.
 */
export class DocumentScorer {
  private disposed = false;

  private constructor(
    private readonly packed: PackedDocuments | undefined,
    private readonly engineScorer: EngineScorer | undefined,
    readonly count: number,
    readonly dim: number,
    readonly kind: PackedKind,
    private readonly threads: number,
    // Documents holding NaN (engine path): scored NaN here, as core's kernels score them.
    private readonly nanDocs: readonly number[] = [],
    private readonly engineRows?: Float32Array,
  ) {}

  /** Packs `docs` (float rows, or quantized ones of one kind). */
  static async create(
    docs: readonly ScorerDocument[],
    options: ScorerOptions & { model?: LoadedModel } = {},
  ): Promise<DocumentScorer> {
    const threads = options.threads ?? cores();
    if (!Number.isInteger(threads) || threads < 1)
      throw new TesseraError('INVALID_OPTION', `threads must be a positive integer (got ${threads})`, {
        field: 'threads',
      });
    const { kind, dim } = checkDocuments(docs);
    if (kind === 'float32' && options.engine !== 'core' && options.model?.createScorer && docs.length) {
      const rows = rowMajor(docs as RowMatrix[], dim);
      const engine = await options.model.createScorer(rows.packed);
      return new DocumentScorer(
        undefined,
        engine,
        docs.length,
        dim,
        'float32',
        threads,
        rows.nanDocs,
        Float32Array.from(docs, (d) => d.rows),
      );
    }
    const packed = new PackedDocuments(docs);
    return new DocumentScorer(packed, undefined, docs.length, packed.dim, packed.kind, threads);
  }

  /** True when the model's engine scores (float32 documents and a backend that offers a scorer). */
  get usesEngine(): boolean {
    return this.engineScorer !== undefined;
  }

  /** What scores: the engine's scorer, or core's kernel and its threads. */
  get engine(): string {
    if (this.engineScorer) return this.engineScorer.engine;
    if (this.kind === 'binary') return 'core Hamming MaxSim (JavaScript popcount), 1 thread';
    return `core WebAssembly SIMD, ${this.kind}, up to ${this.threads} thread${this.threads > 1 ? 's' : ''}`;
  }

  private live(): void {
    if (this.disposed) throw new TesseraError('DISPOSED', 'the scorer was disposed', {});
  }

  /** Every document's MaxSim against the query (in the order they were given). */
  async score(query: ScorerDocument): Promise<Float32Array> {
    this.live();
    if (!this.engineScorer) return this.packed!.score(query, this.threads);
    const r = this.forEngine(query);
    return 'answer' in r ? r.answer : this.fromEngine(await this.engineScorer.score(r.query));
  }

  /** The k best documents, best first (ties keep input order; NaN scores last). */
  async topK(query: ScorerDocument, k: number): Promise<Ranked[]> {
    return topK(await this.score(query), k);
  }

  /** One score array per query (through the engine's batched pass when it has one). */
  async scoreMany(queries: readonly ScorerDocument[]): Promise<Float32Array[]> {
    this.live();
    const engine = this.engineScorer;
    if (!engine?.scoreMany) {
      const out: Float32Array[] = [];
      for (const q of queries) out.push(await this.score(q));
      return out;
    }
    // Empty or NaN queries are answered here; the rest go to the engine together.
    const prepared = queries.map((q) => this.forEngine(q));
    const sent = prepared.flatMap((r) => ('query' in r ? [r.query] : []));
    const got = sent.length ? await engine.scoreMany(sent) : [];
    let j = 0;
    return prepared.map((r) => ('answer' in r ? r.answer : this.fromEngine(got[j++]!)));
  }

  /** The engine path's checks: the query to send to the engine, or the answer without it. */
  private forEngine(query: ScorerDocument): { query: RowMatrix } | { answer: Float32Array } {
    checkMatrix(query as RowMatrix, 'query');
    if ('kind' in query && (query.kind === 'int8' || query.kind === 'binary'))
      throw new TesseraError('INVALID_INPUT', `a ${query.kind} query cannot be scored against float32 documents`, {});
    if (query.dim !== this.dim)
      throw new TesseraError(
        'DIMENSION_MISMATCH',
        `query has dimension ${query.dim} but the documents have ${this.dim}`,
        { query: query.dim, document: this.dim },
      );
    if (query.rows === 0) return { answer: new Float32Array(this.count) };
    const q = query as RowMatrix;
    // As the reference: NaN against every document with rows, 0 against empty ones.
    if (hasNaN(q.data.subarray(0, q.rows * q.dim))) return { answer: this.engineRows!.map((r) => (r ? NaN : 0)) };
    return { query: q };
  }

  /** An engine's scores, checked, with the documents that hold NaN scored NaN. */
  private fromEngine(out: Float32Array): Float32Array {
    if (out.length !== this.count)
      throw new TesseraError(
        'BACKEND_FAILED',
        `the engine's scorer returned ${out.length} scores for ${this.count} documents`,
        {},
      );
    for (const d of this.nanDocs) out[d] = NaN;
    return out;
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    this.packed?.release();
    await this.engineScorer?.dispose();
  }
}

function hasNaN(a: Float32Array): boolean {
  // biome-ignore lint/suspicious/noSelfCompare: a NaN test in the hot loop
  for (let i = 0; i < a.length; i++) if (a[i] !== a[i]) return true;
  return false;
}

/** Float documents as one row-major buffer with offsets (what engines take); NaN rows as zeros. */
export function rowMajor(docs: readonly RowMatrix[], dim: number): { packed: PackedRows; nanDocs: number[] } {
  const offsets = new Int32Array(docs.length + 1);
  docs.forEach((d, i) => (offsets[i + 1] = offsets[i]! + d.rows));
  const data = new Float32Array(offsets[docs.length]! * dim);
  const nanDocs: number[] = [];
  docs.forEach((d, i) => {
    const rows = d.data.subarray(0, d.rows * dim);
    if (hasNaN(rows)) nanDocs.push(i);
    else data.set(rows, offsets[i]! * dim);
  });
  return { packed: { data, offsets, dim }, nanDocs };
}
