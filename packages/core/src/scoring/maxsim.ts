import { TesseraError } from '../errors.js';
import { maxSimManySimd } from './maxsim-simd.js';

/** Rows x dim floats; TokenEmbeddings satisfies it. */
export interface RowMatrix {
  rows: number;
  dim: number;
  data: Float32Array;
}

/** Checks that a matrix holds the rows x dim floats it claims (kernels would otherwise read past its data). */
export function checkMatrix(m: RowMatrix, what: string): void {
  if (!m || !(m.data instanceof Float32Array))
    throw new TesseraError('INVALID_INPUT', `the ${what} must have a Float32Array "data"`, { what });
  if (!Number.isInteger(m.rows) || m.rows < 0 || !Number.isInteger(m.dim) || m.dim < 1)
    throw new TesseraError(
      'INVALID_INPUT',
      `the ${what} has rows ${m.rows} and dim ${m.dim}; expected a non-negative integer and a positive integer`,
      { what },
    );
  if (m.data.length < m.rows * m.dim)
    throw new TesseraError(
      'INVALID_INPUT',
      `the ${what} claims ${m.rows} rows of ${m.dim} but its data holds ${m.data.length} floats (needs ${m.rows * m.dim})`,
      { what },
    );
}

function checkDims(q: RowMatrix, d: RowMatrix, what = 'document'): void {
  checkMatrix(d, what);
  if (q.dim !== d.dim)
    throw new TesseraError('DIMENSION_MISMATCH', `query has dimension ${q.dim} but the ${what} has ${d.dim}`, {
      query: q.dim,
      document: d.dim,
    });
}

/**
 * MaxSim: the sum over query rows of the largest dot product with any document row.
 * A query or document with zero rows scores 0. A NaN in either makes the score NaN (as torch's
 * max does), in every kernel.
 */
export function maxSim(q: RowMatrix, d: RowMatrix): number {
  checkMatrix(q, 'query');
  checkDims(q, d);
  // One pair is not worth the copy into the SIMD kernel's memory unless it is large.
  if (q.rows * d.rows * q.dim >= 1 << 16) {
    const simd = maxSimManySimd(q.data, q.rows, [d], q.dim);
    if (simd) return simd[0]!;
  }
  return maxSimUnchecked(q.data, q.rows, d.data, d.rows, q.dim);
}

function maxSimUnchecked(qd: Float32Array, qRows: number, dd: Float32Array, dRows: number, dim: number): number {
  if (qRows === 0 || dRows === 0) return 0;
  // best[i] is the running max for query row i; the document row is loaded once for all query rows.
  const best = new Float64Array(qRows).fill(-Infinity);
  const dim4 = dim - (dim % 4);
  for (let j = 0; j < dRows; j++) {
    const dOff = j * dim;
    for (let i = 0; i < qRows; i++) {
      const qOff = i * dim;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      let k = 0;
      for (; k < dim4; k += 4) {
        s0 += qd[qOff + k]! * dd[dOff + k]!;
        s1 += qd[qOff + k + 1]! * dd[dOff + k + 1]!;
        s2 += qd[qOff + k + 2]! * dd[dOff + k + 2]!;
        s3 += qd[qOff + k + 3]! * dd[dOff + k + 3]!;
      }
      for (; k < dim; k++) s0 += qd[qOff + k]! * dd[dOff + k]!;
      const s = s0 + s1 + s2 + s3;
      // NaN wins, as in the SIMD kernel's f32.max and torch.max.
      // biome-ignore lint/suspicious/noSelfCompare: a NaN test in the hot loop
      if (s > best[i]! || s !== s) best[i] = s;
    }
  }
  let total = 0;
  for (let i = 0; i < qRows; i++) total += best[i]!;
  return total;
}

/** Scores one query against many documents. */
export function maxSimMany(q: RowMatrix, docs: readonly RowMatrix[]): Float32Array {
  checkMatrix(q, 'query');
  docs.forEach((d, i) => checkDims(q, d, `document at index ${i}`));
  const simd = maxSimManySimd(q.data, q.rows, docs, q.dim);
  if (simd) return simd;
  const out = new Float32Array(docs.length);
  docs.forEach((d, i) => (out[i] = maxSimUnchecked(q.data, q.rows, d.data, d.rows, q.dim)));
  return out;
}

/** The portable JavaScript kernel (also the fallback where WebAssembly SIMD is missing). */
export function maxSimScalar(q: RowMatrix, d: RowMatrix): number {
  checkMatrix(q, 'query');
  checkDims(q, d);
  return maxSimUnchecked(q.data, q.rows, d.data, d.rows, q.dim);
}

export interface Ranked {
  index: number;
  score: number;
}

/** The k highest scores, best first; ties keep input order, and NaN scores rank after every number. */
export function topK(scores: ArrayLike<number>, k: number): Ranked[] {
  if (!Number.isInteger(k) || k < 0)
    throw new TesseraError('INVALID_OPTION', `topK must be a non-negative integer (got ${k})`, { field: 'topK' });
  const all: Ranked[] = [];
  for (let i = 0; i < scores.length; i++) all.push({ index: i, score: scores[i]! });
  all.sort((a, b) => {
    const an = Number.isNaN(a.score);
    const bn = Number.isNaN(b.score);
    if (an || bn) return an === bn ? a.index - b.index : an ? 1 : -1;
    return b.score - a.score || a.index - b.index;
  });
  return all.slice(0, k);
}
