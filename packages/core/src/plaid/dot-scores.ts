import { instantiateKernel, type WasmMemory } from '../scoring/wasm-kernel.js';
import { PLAID_WASM } from './plaid-wasm.js';
import { type ShortRows, shortRows } from './short-rows.js';

export interface PlaidKernel {
  memory: WasmMemory;
  dot_scores: (a: number, aRows: number, b: number, bRows: number, dim: number, out: number) => void;
  decode_maxsim: (...args: number[]) => void;
  centroid_pass: (...args: number[]) => void;
  dot_scores_i16: (...args: number[]) => void;
}

let kernel: PlaidKernel | null | undefined;
// The centroid table now at the start of the kernel's memory (a loaded index's centroids stay there across searches).
let resident: { array: Float32Array; bytes: number } | undefined;
const shortTables = new WeakMap<Float32Array, ShortRows>();

/** The SIMD kernel (wasm/plaid.wat), or null where WebAssembly SIMD is missing. */
function load(): PlaidKernel | null {
  if (kernel === undefined) kernel = instantiateKernel<PlaidKernel>(PLAID_WASM);
  return kernel;
}

/** Grows the kernel's memory to `need` bytes. */
function growKernel(k: PlaidKernel, need: number): void {
  if (k.memory.buffer.byteLength < need) k.memory.grow(Math.ceil((need - k.memory.buffer.byteLength) / 65536));
}

/** A centroid table's 16-bit copy (see shortRows), made once per table. */
export function shortTable(table: Float32Array, rows: number, dim: number): ShortRows {
  let t = shortTables.get(table);
  if (!t || t.data.length !== rows * dim) {
    t = shortRows(table, rows, dim);
    shortTables.set(table, t);
  }
  return t;
}

export interface TableKernel {
  k: PlaidKernel;
  /** Where the 16-bit copy of the table starts (dim a multiple of 8; else there is none). */
  shortAt: number | undefined;
  /** Where the caller's memory starts (after both tables). */
  base: number;
}

const align = (n: number) => Math.ceil(n / 16) * 16;

/**
 * The kernel with `table` ([rows, dim], a loaded index's centroids) and, for dims a multiple of
 * 8, its 16-bit copy at the start of its memory, copied only when another table took that place;
 * null where WebAssembly SIMD is missing or dim is not a multiple of 4. The memory from `base` on
 * is the caller's (`after` bytes of it) until the next call here.
 */
export function tableKernel(table: Float32Array, rows: number, dim: number, after: number): TableKernel | null {
  const k = dim % 4 === 0 ? load() : null;
  if (!k) return null;
  const bytes = rows * dim * 4;
  const shortAt = dim % 8 === 0 ? align(bytes) : undefined;
  const base = align(shortAt === undefined ? bytes : shortAt + rows * dim * 2);
  growKernel(k, base + after);
  if (resident?.array !== table || resident.bytes !== bytes) {
    new Float32Array(k.memory.buffer).set(table.subarray(0, rows * dim), 0);
    if (shortAt !== undefined)
      new Int16Array(k.memory.buffer, shortAt, rows * dim).set(shortTable(table, rows, dim).data);
    resident = { array: table, bytes };
  }
  return { k, shortAt, base };
}

/**
 * out[i * bRows + j] = a_i · b_j for row-major a [aRows, dim] and b [bRows, dim]: token rows
 * against centroids when assigning them, and a projection's rows against its weights. The SIMD
 * kernel where it runs (dim a multiple of 4), else plain loops.
 */
export function dotScores(
  a: Float32Array,
  aRows: number,
  b: Float32Array,
  bRows: number,
  dim: number,
  out: Float32Array = new Float32Array(aRows * bRows),
): Float32Array {
  const k = dim % 4 === 0 ? load() : null;
  if (!k) return dotScoresJs(a, aRows, b, bRows, dim, out);
  const heap = () => new Float32Array(k.memory.buffer);
  // b once, then a in blocks with their scores after it.
  const bBytes = bRows * dim * 4;
  const block = Math.max(1, Math.min(aRows, Math.floor((8 << 20) / Math.max(1, (dim + bRows) * 4))));
  growKernel(k, bBytes + block * (dim + bRows) * 4);
  heap().set(b.subarray(0, bRows * dim), 0);
  resident = undefined;
  const aAt = bBytes;
  const outAt = aAt + block * dim * 4;
  for (let start = 0; start < aRows; start += block) {
    const n = Math.min(block, aRows - start);
    heap().set(a.subarray(start * dim, (start + n) * dim), aAt / 4);
    k.dot_scores(aAt, n, 0, bRows, dim, outAt);
    out.set(heap().subarray(outAt / 4, outAt / 4 + n * bRows), start * bRows);
  }
  return out;
}

/** dotScores in plain loops, four b rows at a time so each a row is read once per four products. */
export function dotScoresJs(
  a: Float32Array,
  aRows: number,
  b: Float32Array,
  bRows: number,
  dim: number,
  out: Float32Array = new Float32Array(aRows * bRows),
): Float32Array {
  for (let i = 0; i < aRows; i++) {
    const ai = i * dim;
    const oi = i * bRows;
    let j = 0;
    for (; j + 4 <= bRows; j += 4) {
      const b0 = j * dim;
      const b1 = b0 + dim;
      const b2 = b1 + dim;
      const b3 = b2 + dim;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let k = 0; k < dim; k++) {
        const x = a[ai + k]!;
        s0 += x * b[b0 + k]!;
        s1 += x * b[b1 + k]!;
        s2 += x * b[b2 + k]!;
        s3 += x * b[b3 + k]!;
      }
      out[oi + j] = s0;
      out[oi + j + 1] = s1;
      out[oi + j + 2] = s2;
      out[oi + j + 3] = s3;
    }
    for (; j < bRows; j++) {
      let s = 0;
      const bj = j * dim;
      for (let k = 0; k < dim; k++) s += a[ai + k]! * b[bj + k]!;
      out[oi + j] = s;
    }
  }
  return out;
}

/** For each row of a, the index of the b row with the highest dot product (ties: the lower index). */
export function nearestRows(a: Float32Array, aRows: number, b: Float32Array, bRows: number, dim: number): Int32Array {
  const best = new Int32Array(aRows);
  // Blocks of rows keep the score buffer small whatever the corpus size.
  const block = Math.max(1, Math.min(aRows, Math.floor((1 << 20) / Math.max(1, bRows))));
  const scores = new Float32Array(block * bRows);
  for (let start = 0; start < aRows; start += block) {
    const n = Math.min(block, aRows - start);
    dotScores(a.subarray(start * dim, (start + n) * dim), n, b, bRows, dim, scores);
    for (let i = 0; i < n; i++) {
      let arg = 0;
      let max = -Infinity;
      const o = i * bRows;
      for (let j = 0; j < bRows; j++)
        if (scores[o + j]! > max) {
          max = scores[o + j]!;
          arg = j;
        }
      best[start + i] = arg;
    }
  }
  return best;
}
