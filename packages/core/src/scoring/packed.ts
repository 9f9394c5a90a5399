import { TesseraError } from '../errors.js';
import type { QuantizedEmbeddings } from '../types.js';
import { checkMatrix, type RowMatrix } from './maxsim.js';
import { newSharedMemory, pool, type SharedMemory } from './pool.js';
import { type KernelName, newKey } from './wasm-kernels.js';
import { maxSimBinary } from './quantize.js';

export type PackedKind = 'float32' | 'int8' | 'binary';

/** The documents as `t.scorer()` takes them: float rows, or quantized ones (all of one kind). */
export type ScorerDocument = RowMatrix | QuantizedEmbeddings;

const MAX_BYTES = 4 * 2 ** 30 - 2 ** 20;
// Below this many multiply-adds one thread is quicker than waking the others.
const PARALLEL_WORK = 2e7;

const align = (n: number, to: number) => Math.ceil(n / to) * to;

function kindOf(d: ScorerDocument): PackedKind {
  return 'kind' in d && (d.kind === 'int8' || d.kind === 'binary') ? d.kind : 'float32';
}

/** Query rows from..from+n in groups of 4, each [k * 4 + row], zeros past the last row. */
function writeGroups(to: Float32Array, data: Float32Array, from: number, n: number, dim: number): void {
  to.fill(0);
  for (let r = 0; r < n; r++) {
    const g = Math.floor(r / 4) * dim * 4;
    const lane = r % 4;
    const src = (from + r) * dim;
    for (let k = 0; k < dim; k++) to[g + k * 4 + lane] = data[src + k]!;
  }
}

interface Int16Query {
  rows: number;
  data: Int16Array;
  scales: Float32Array;
}

/** A query for int8 documents: int16 rows with a scale each (max |x| / 16383), or int8 ones widened. */
function int16Query(q: ScorerDocument): Int16Query {
  const data = new Int16Array(q.rows * q.dim);
  if (kindOf(q) === 'int8') {
    const e = q as QuantizedEmbeddings;
    if (!(e.scales instanceof Float32Array) || e.scales.length < e.rows)
      throw new TesseraError('INVALID_INPUT', 'the int8 query has no scale for each row (quantize() writes them)', {});
    data.set((e.data as Int8Array).subarray(0, q.rows * q.dim));
    return { rows: q.rows, data, scales: e.scales.subarray(0, q.rows) };
  }
  const m = q as RowMatrix;
  const scales = new Float32Array(q.rows);
  for (let r = 0; r < q.rows; r++) {
    let max = 0;
    for (let j = 0; j < q.dim; j++) max = Math.max(max, Math.abs(m.data[r * q.dim + j]!));
    // NaN rows stay NaN: the scale carries it into the score, as the float kernels do.
    // biome-ignore lint/suspicious/noSelfCompare: a NaN test
    const scale = max !== max ? NaN : max / 16383;
    scales[r] = scale;
    if (scale > 0) for (let j = 0; j < q.dim; j++) data[r * q.dim + j] = Math.round(m.data[r * q.dim + j]! / scale);
  }
  return { rows: q.rows, data, scales };
}

/** Checks documents for packing: one kind, one dimension, rows that hold what they claim. */
export function checkDocuments(docs: readonly ScorerDocument[]): { kind: PackedKind; dim: number; rows: Int32Array } {
  if (!Array.isArray(docs)) throw new TesseraError('INVALID_INPUT', 'the documents must be an array of embeddings', {});
  const kind = docs.length ? kindOf(docs[0]!) : 'float32';
  const dim = docs.length ? docs[0]!.dim : 0;
  const rows = new Int32Array(docs.length);
  docs.forEach((d, i) => {
    if (!d || typeof d !== 'object')
      throw new TesseraError('INVALID_INPUT', `document ${i} is ${d === null ? 'null' : typeof d}, not embeddings`, {
        index: i,
      });
    if (kindOf(d) !== kind)
      throw new TesseraError(
        'INVALID_INPUT',
        `document ${i} is ${kindOf(d)} but document 0 is ${kind}; pack one kind at a time`,
        { index: i },
      );
    if (kind === 'float32') checkMatrix(d as RowMatrix, `document at index ${i}`);
    if (d.dim !== dim)
      throw new TesseraError('DIMENSION_MISMATCH', `document ${i} has dimension ${d.dim} but document 0 has ${dim}`, {
        index: i,
      });
    rows[i] = d.rows;
  });
  return { kind, dim, rows };
}

/**
 * Documents packed once into one buffer with offsets, so that scoring never walks JS objects
 * again: float32 in the transposed 4-row blocks of wasm/packed.wat, int8 rows with their scales,
 * binary rows. float32 and int8 live in a shared WebAssembly memory that worker threads score
 * in parallel; binary is scored with core's Hamming MaxSim over views of one buffer.
 */
export class PackedDocuments {
  readonly kind: PackedKind;
  readonly count: number;
  readonly dim: number;
  /** Rows of each document, and all of them. */
  readonly rows: Int32Array;
  readonly totalRows: number;
  private readonly key = newKey();
  private memory: SharedMemory | undefined;
  private layout = { starts: 0, blocks: 0, data: 0, scales: 0, query: 0, qscales: 0, out: 0, queryBytes: 0 };
  private binary: QuantizedEmbeddings[] = [];
  private released = false;
  // Calls share the query and output areas of the memory: one at a time.
  private busy: Promise<unknown> = Promise.resolve();

  constructor(docs: readonly ScorerDocument[]) {
    const c = checkDocuments(docs);
    this.count = docs.length;
    this.kind = c.kind;
    this.dim = c.dim;
    this.rows = c.rows;
    this.totalRows = this.rows.reduce((s, r) => s + r, 0);
    if (this.kind === 'binary') this.packBinary(docs as QuantizedEmbeddings[]);
    else if (this.kind === 'int8') this.packInt8(docs as QuantizedEmbeddings[]);
    else this.packFloat(docs as RowMatrix[]);
  }

  /** Bytes the packed documents take. */
  get bytes(): number {
    return this.memory?.buffer.byteLength ?? this.binary.reduce((s, b) => s + b.data.byteLength, 0);
  }

  private allocate(bytes: number): void {
    if (bytes > MAX_BYTES)
      throw new TesseraError(
        'INVALID_INPUT',
        `${this.count} documents of ${this.totalRows} rows need ${(bytes / 2 ** 30).toFixed(1)} GiB packed, ` +
          `past the 4 GiB a WebAssembly memory holds; score them in parts (several scorers)`,
        { bytes },
      );
    this.memory = newSharedMemory(bytes);
  }

  private packFloat(docs: readonly RowMatrix[]): void {
    const dim = this.dim;
    if (dim % 4 !== 0 && docs.length)
      throw new TesseraError(
        'INVALID_INPUT',
        `packed float32 scoring needs a dimension that is a multiple of 4 (got ${dim})`,
        { dim },
      );
    // Rows padded to a multiple of 8 (two 4-row blocks) by repeating the last row.
    let floats = 0;
    for (const d of docs) floats += align(d.rows, 8) * dim;
    const L = this.layout;
    L.starts = 0;
    L.blocks = align(this.count * 4, 16);
    L.data = align(L.blocks + this.count * 4, 16);
    L.query = align(L.data + floats * 4, 16);
    L.queryBytes = 1024 * dim * 4;
    L.out = align(L.query + L.queryBytes, 16);
    this.allocate(L.out + this.count * 4);
    const buf = this.memory!.buffer;
    const starts = new Uint32Array(buf, L.starts, this.count);
    const blocks = new Uint32Array(buf, L.blocks, this.count);
    const heap = new Float32Array(buf);
    let at = L.data;
    docs.forEach((d, i) => {
      const padded = d.rows ? align(d.rows, 8) : 0;
      starts[i] = at;
      blocks[i] = padded / 4;
      for (let r = 0; r < padded; r++) {
        const src = Math.min(r, d.rows - 1) * dim;
        const block = at / 4 + Math.floor(r / 4) * dim * 4;
        const lane = r % 4;
        for (let k = 0; k < dim; k++) heap[block + k * 4 + lane] = d.data[src + k]!;
      }
      at += padded * dim * 4;
    });
  }

  private packInt8(docs: readonly QuantizedEmbeddings[]): void {
    const dim = this.dim;
    if (dim % 8 !== 0 && docs.length)
      throw new TesseraError(
        'INVALID_INPUT',
        `packed int8 scoring needs a dimension that is a multiple of 8 (got ${dim})`,
        { dim },
      );
    // int16 x int8 products summed in 32 bits: 2 * 127 * 16383 per lane and step stays exact to dim 4096.
    if (dim > 4096)
      throw new TesseraError('INVALID_INPUT', `packed int8 scoring takes dimensions up to 4096 (got ${dim})`, { dim });
    const L = this.layout;
    L.starts = 0; // rowStart
    L.blocks = align(this.count * 4, 16); // rowCount
    L.scales = align(L.blocks + this.count * 4, 16);
    L.data = align(L.scales + this.totalRows * 4, 16);
    L.query = align(L.data + this.totalRows * dim, 16);
    L.queryBytes = 1024 * dim * 2;
    L.qscales = align(L.query + L.queryBytes, 16);
    L.out = align(L.qscales + 1024 * 4, 16);
    this.allocate(L.out + this.count * 4);
    const buf = this.memory!.buffer;
    const start = new Uint32Array(buf, L.starts, this.count);
    const count = new Uint32Array(buf, L.blocks, this.count);
    const scales = new Float32Array(buf, L.scales, this.totalRows);
    const data = new Int8Array(buf, L.data, this.totalRows * dim);
    let r = 0;
    docs.forEach((d, i) => {
      if (!(d.scales instanceof Float32Array) || d.scales.length < d.rows)
        throw new TesseraError(
          'INVALID_INPUT',
          `int8 document ${i} has no scale for each row (quantize() writes them)`,
          { index: i },
        );
      start[i] = r;
      count[i] = d.rows;
      data.set((d.data as Int8Array).subarray(0, d.rows * dim), r * dim);
      scales.set(d.scales.subarray(0, d.rows), r);
      r += d.rows;
    });
  }

  private packBinary(docs: readonly QuantizedEmbeddings[]): void {
    const stride = docs[0]?.stride ?? 0;
    const all = new Uint8Array(this.totalRows * stride);
    let at = 0;
    this.binary = docs.map((d) => {
      const bytes = d.rows * stride;
      all.set(d.data.subarray(0, bytes) as Uint8Array, at);
      const view = { ...d, data: all.subarray(at, at + bytes) };
      at += bytes;
      return view;
    });
  }

  /** Splits the documents into `parts` contiguous ranges of about equal rows. */
  private ranges(parts: number): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    const per = this.totalRows / parts;
    let first = 0;
    let rows = 0;
    for (let d = 0; d < this.count; d++) {
      rows += this.rows[d]!;
      if (rows >= per * (out.length + 1) && out.length < parts - 1) {
        out.push([first, d + 1 - first]);
        first = d + 1;
      }
    }
    out.push([first, this.count - first]);
    return out.filter(([, n]) => n > 0);
  }

  /**
   * MaxSim of a query against every document (float32 rows, or quantized rows of the packed
   * kind), on up to `threads` threads. A query row count of zero, or an empty document, scores 0.
   */
  score(query: ScorerDocument, threads = 1): Promise<Float32Array> {
    const run = this.busy.then(() => this.scoreNow(query, threads));
    this.busy = run.catch(() => {});
    return run;
  }

  private async scoreNow(query: ScorerDocument, threads: number): Promise<Float32Array> {
    if (this.released) throw new TesseraError('DISPOSED', 'the scorer was disposed', {});
    const qKind = kindOf(query);
    if (this.kind === 'float32') checkMatrix(query as RowMatrix, 'query');
    if (this.count && query.dim !== this.dim)
      throw new TesseraError(
        'DIMENSION_MISMATCH',
        `query has dimension ${query.dim} but the documents have ${this.dim}`,
        { query: query.dim, document: this.dim },
      );
    const out = new Float32Array(this.count);
    if (!this.count || query.rows === 0) return out;
    if (this.kind === 'binary') {
      if (qKind !== 'binary')
        throw new TesseraError(
          'INVALID_INPUT',
          'binary documents need a binary query (t.quantize(query, "binary"))',
          {},
        );
      this.binary.forEach((d, i) => (out[i] = maxSimBinary(query as QuantizedEmbeddings, d)));
      return out;
    }
    if (this.kind === 'int8' && qKind === 'binary')
      throw new TesseraError('INVALID_INPUT', 'a binary query cannot be scored against int8 documents', {});
    if (this.kind === 'float32' && qKind !== 'float32')
      throw new TesseraError('INVALID_INPUT', `a ${qKind} query cannot be scored against float32 documents`, {});
    // int8 documents take the query in int16 (from float rows, or widened from int8 ones).
    const q: RowMatrix | Int16Query = this.kind === 'int8' ? int16Query(query) : (query as RowMatrix);
    const L = this.layout;
    const buf = this.memory!.buffer;
    const qRows = q.rows;
    // A query longer than the reserved area is scored in parts of 1024 rows and summed.
    const chunk = 1024;
    const total = new Float32Array(this.count);
    for (let from = 0; from < qRows; from += chunk) {
      const n = Math.min(chunk, qRows - from);
      if (this.kind === 'float32')
        writeGroups(
          new Float32Array(buf, L.query, Math.ceil(n / 4) * 4 * this.dim),
          (q as RowMatrix).data,
          from,
          n,
          this.dim,
        );
      else {
        new Int16Array(buf, L.query, n * this.dim).set(
          (q as Int16Query).data.subarray(from * this.dim, (from + n) * this.dim),
        );
        new Float32Array(buf, L.qscales, n).set((q as Int16Query).scales.subarray(from, from + n));
      }
      const work = n * this.totalRows * this.dim;
      const parts = this.ranges(work < PARALLEL_WORK ? 1 : pool.size(threads));
      const args = parts.map(([first, count]) =>
        this.kind === 'float32'
          ? [L.query, Math.ceil(n / 4), this.dim, L.starts, L.blocks, first, count, L.out]
          : [L.query, L.qscales, n, this.dim, L.data, L.scales, L.starts, L.blocks, first, count, L.out],
      );
      const kernel: KernelName = this.kind === 'float32' ? 'score_f32' : 'score_i8';
      await pool.calls(
        this.key,
        this.memory!,
        'packed',
        args.map((a) => [[kernel, a]]),
      );
      const part = new Float32Array(buf, L.out, this.count);
      for (let d = 0; d < this.count; d++) total[d]! += part[d]!;
    }
    out.set(total);
    return out;
  }

  /** Frees the packed buffer (and the workers' instances over it). */
  release(): void {
    if (this.released) return;
    this.released = true;
    if (this.memory) pool.drop(this.key);
    this.memory = undefined;
    this.binary = [];
  }
}
