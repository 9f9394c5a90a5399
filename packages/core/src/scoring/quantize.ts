import { TesseraError } from '../errors.js';
import type { QuantizationKind, QuantizedEmbeddings } from '../types.js';
import type { RowMatrix } from './maxsim.js';

const POPCOUNT = new Uint8Array(256);
for (let i = 1; i < 256; i++) POPCOUNT[i] = (i & 1) + POPCOUNT[i >> 1]!;

/** Binary: bit 1 where x >= 0, least significant bit first, ceil(dim/8) bytes a row. */
export function quantizeBinary(m: RowMatrix & { index?: number }): QuantizedEmbeddings {
  const stride = Math.ceil(m.dim / 8);
  const data = new Uint8Array(m.rows * stride);
  for (let r = 0; r < m.rows; r++) {
    for (let j = 0; j < m.dim; j++) {
      if (m.data[r * m.dim + j]! >= 0) data[r * stride + (j >> 3)]! |= 1 << (j & 7);
    }
  }
  return { kind: 'binary', index: m.index ?? 0, rows: m.rows, dim: m.dim, stride, data };
}

/** int8 with one scale a row: x ~= q * scale, scale = max|x| / 127. */
export function quantizeInt8(m: RowMatrix & { index?: number }): QuantizedEmbeddings {
  const data = new Int8Array(m.rows * m.dim);
  const scales = new Float32Array(m.rows);
  for (let r = 0; r < m.rows; r++) {
    let max = 0;
    for (let j = 0; j < m.dim; j++) max = Math.max(max, Math.abs(m.data[r * m.dim + j]!));
    const scale = max / 127;
    scales[r] = scale;
    if (scale === 0) continue;
    for (let j = 0; j < m.dim; j++) data[r * m.dim + j] = Math.round(m.data[r * m.dim + j]! / scale);
  }
  return { kind: 'int8', index: m.index ?? 0, rows: m.rows, dim: m.dim, stride: m.dim, data, scales };
}

export function quantize(m: RowMatrix & { index?: number }, kind: QuantizationKind): QuantizedEmbeddings {
  if (kind === 'binary') return quantizeBinary(m);
  if (kind === 'int8') return quantizeInt8(m);
  throw new TesseraError(
    'INVALID_OPTION',
    `unknown quantization ${JSON.stringify(kind)} (expected "binary" or "int8")`,
    { field: 'quantize' },
  );
}

/** Back to floats (int8: scaled values; binary: +1 / -1). */
export function dequantize(q: QuantizedEmbeddings): RowMatrix {
  const data = new Float32Array(q.rows * q.dim);
  for (let r = 0; r < q.rows; r++) {
    for (let j = 0; j < q.dim; j++) {
      data[r * q.dim + j] =
        q.kind === 'int8'
          ? (q.data as Int8Array)[r * q.dim + j]! * q.scales![r]!
          : (q.data[r * q.stride + (j >> 3)]! >> (j & 7)) & 1
            ? 1
            : -1;
    }
  }
  return { rows: q.rows, dim: q.dim, data };
}

/** Checks that quantized rows hold what they claim (bytes a row, int8 scales a row). */
function checkQuantized(e: QuantizedEmbeddings, what: string): void {
  const stride = e.kind === 'binary' ? Math.ceil(e.dim / 8) : e.dim;
  if (e.stride !== stride)
    throw new TesseraError(
      'INVALID_INPUT',
      `the ${what} has stride ${e.stride}; ${e.kind} rows of ${e.dim} take ${stride} bytes`,
      { what },
    );
  if (!e.data || e.data.length < e.rows * stride)
    throw new TesseraError(
      'INVALID_INPUT',
      `the ${what} claims ${e.rows} rows but its data holds ${e.data?.length ?? 0} bytes (needs ${e.rows * stride})`,
      { what },
    );
  if (e.kind === 'int8' && !(e.scales instanceof Float32Array && e.scales.length >= e.rows))
    throw new TesseraError(
      'INVALID_INPUT',
      `the ${what} is int8 but has ${e.scales ? `${e.scales.length} scales` : 'no scales'} for ${e.rows} rows; ` +
        `int8 embeddings need one scale a row (quantize() writes them)`,
      { what, field: 'scales' },
    );
}

function checkPair(q: QuantizedEmbeddings, d: QuantizedEmbeddings): void {
  if (q.kind !== d.kind)
    throw new TesseraError('INVALID_INPUT', `cannot score ${q.kind} against ${d.kind} embeddings`, {});
  if (q.dim !== d.dim)
    throw new TesseraError('DIMENSION_MISMATCH', `query has dimension ${q.dim} but the document has ${d.dim}`, {
      query: q.dim,
      document: d.dim,
    });
  checkQuantized(q, 'query');
  checkQuantized(d, 'document');
}

/**
 * Hamming MaxSim over binary rows: per query row, the best (dim - 2 * hamming) / dim, which is
 * the dot product of the +1/-1 sign vectors scaled to [-1, 1]; summed over query rows.
 */
export function maxSimBinary(q: QuantizedEmbeddings, d: QuantizedEmbeddings): number {
  checkPair(q, d);
  if (q.kind !== 'binary') throw new TesseraError('INVALID_INPUT', 'maxSimBinary needs binary embeddings', {});
  if (q.rows === 0 || d.rows === 0) return 0;
  const s = q.stride;
  if (s % 4 === 0 && q.data.byteOffset % 4 === 0 && d.data.byteOffset % 4 === 0) return hammingWords(q, d);
  let total = 0;
  for (let i = 0; i < q.rows; i++) {
    let bestHam = Infinity;
    const qo = i * s;
    for (let j = 0; j < d.rows; j++) {
      const dO = j * s;
      let h = 0;
      for (let k = 0; k < s; k++) h += POPCOUNT[q.data[qo + k]! ^ d.data[dO + k]!]!;
      if (h < bestHam) bestHam = h;
    }
    total += (q.dim - 2 * bestHam) / q.dim;
  }
  return total;
}

function popcount32(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
}

/** The same Hamming MaxSim over 32-bit words (rows of a multiple of 32 bits). */
function hammingWords(q: QuantizedEmbeddings, d: QuantizedEmbeddings): number {
  const w = q.stride / 4;
  const qw = new Uint32Array(q.data.buffer, q.data.byteOffset, q.rows * w);
  const dw = new Uint32Array(d.data.buffer, d.data.byteOffset, d.rows * w);
  let total = 0;
  for (let i = 0; i < q.rows; i++) {
    let best = Infinity;
    const qo = i * w;
    for (let j = 0; j < d.rows; j++) {
      const dO = j * w;
      let h = 0;
      for (let k = 0; k < w; k++) h += popcount32(qw[qo + k]! ^ dw[dO + k]!);
      if (h < best) best = h;
    }
    total += (q.dim - 2 * best) / q.dim;
  }
  return total;
}

/** MaxSim over int8 rows with their per-row scales. */
export function maxSimInt8(q: QuantizedEmbeddings, d: QuantizedEmbeddings): number {
  checkPair(q, d);
  if (q.kind !== 'int8') throw new TesseraError('INVALID_INPUT', 'maxSimInt8 needs int8 embeddings', {});
  if (q.rows === 0 || d.rows === 0) return 0;
  const qd = q.data as Int8Array;
  const dd = d.data as Int8Array;
  const dim = q.dim;
  let total = 0;
  for (let i = 0; i < q.rows; i++) {
    let best = -Infinity;
    for (let j = 0; j < d.rows; j++) {
      let s = 0;
      for (let k = 0; k < dim; k++) s += qd[i * dim + k]! * dd[j * dim + k]!;
      const v = s * q.scales![i]! * d.scales![j]!;
      if (v > best) best = v;
    }
    total += best;
  }
  return total;
}

export function maxSimQuantized(q: QuantizedEmbeddings, d: QuantizedEmbeddings): number {
  return q.kind === 'binary' ? maxSimBinary(q, d) : maxSimInt8(q, d);
}
