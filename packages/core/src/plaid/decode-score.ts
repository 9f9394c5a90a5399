import type { RowMatrix } from '../scoring/maxsim.js';
import { decodeRow, type ResidualCodec, residualBytes } from './codec.js';
import { tableKernel } from './dot-scores.js';
import { paddedRows } from './interaction.js';
import type { PlaidIndex } from './plaid-index.js';

const tables = new WeakMap<ResidualCodec, Float32Array>();

/**
 * What each residual byte decodes to, by byte position: [bytes a row][256][8 / nbits] values
 * (zero past dim). The kernel then decodes a byte with one table load instead of a shift, a mask
 * and a weight lookup per value. Made once per codec.
 */
export function decodeTable(codec: ResidualCodec): Float32Array {
  let table = tables.get(codec);
  if (!table) {
    const { dim, nbits, weights } = codec;
    const per = 8 / nbits;
    const buckets = 1 << nbits;
    const mask = buckets - 1;
    const rb = residualBytes(dim, nbits);
    table = new Float32Array(rb * 256 * per);
    for (let p = 0; p < rb; p++)
      for (let byte = 0; byte < 256; byte++)
        for (let i = 0; i < per; i++) {
          const d = p * per + i;
          if (d < dim) table[(p * 256 + byte) * per + i] = weights[d * buckets + ((byte >> (i * nbits)) & mask)]!;
        }
    tables.set(codec, table);
  }
  return table;
}

const align = (n: number) => Math.ceil(n / 16) * 16;

/**
 * The query as decode_maxsim reads it at `at`: blocks of four rows, dimension-major (element
 * (q, i) at ((q >> 2) * dim + i) * 4 + (q & 3)), padding rows zero.
 */
export function writeBlockedQuery(buffer: ArrayBuffer, at: number, query: RowMatrix, qPad: number): void {
  const dim = query.dim;
  const qT = new Float32Array(buffer, at, qPad * dim);
  qT.fill(0);
  for (let q = 0; q < query.rows; q++)
    for (let i = 0; i < dim; i++) qT[((q >> 2) * dim + i) * 4 + (q & 3)] = query.data[q * dim + i]!;
}

/**
 * Each listed document's MaxSim against its rows decoded from the index (PLAID's stage 4), one
 * score a document in the order given. In the SIMD kernel, which decodes a row at a time and
 * scores it against every query row without writing the rows out; plain loops where it is missing.
 */
export function decodedScores(index: PlaidIndex, query: RowMatrix, docs: Uint32Array): Float32Array {
  const { dim, codec } = index;
  const rb = residualBytes(dim, codec.nbits);
  let rows = 0;
  for (const d of docs) rows += index.docOffsets[d + 1]! - index.docOffsets[d]!;
  const qPad = paddedRows(query.rows);
  const table = decodeTable(codec);
  // Layout after the resident centroids (offsets from base): qT | table | codes | residuals | ends | scratch | best | out.
  const tableAt = align(qPad * dim * 4);
  const codesAt = align(tableAt + table.byteLength);
  const resAt = align(codesAt + rows * 4);
  const endsAt = align(resAt + rows * rb);
  const scratchAt = align(endsAt + docs.length * 4);
  const bestAt = align(scratchAt + (dim + 8) * 4);
  const outAt = align(bestAt + qPad * 4);
  const prepared = tableKernel(index.centroids, index.k, dim, outAt + docs.length * 4);
  if (!prepared) return decodedScoresJs(index, query, docs);
  const { k, base } = prepared;
  const buffer = k.memory.buffer;
  writeBlockedQuery(buffer, base, query, qPad);
  new Float32Array(buffer, base + tableAt, table.length).set(table);
  const codes = new Uint32Array(buffer, base + codesAt, rows);
  const residuals = new Uint8Array(buffer, base + resAt, rows * rb);
  const ends = new Uint32Array(buffer, base + endsAt, docs.length);
  let at = 0;
  docs.forEach((d, j) => {
    const from = index.docOffsets[d]!;
    const to = index.docOffsets[d + 1]!;
    codes.set(index.codes.subarray(from, to), at);
    residuals.set(index.residuals.subarray(from * rb, to * rb), at * rb);
    at += to - from;
    ends[j] = at;
  });
  k.decode_maxsim(
    base,
    qPad,
    dim,
    0,
    base + tableAt,
    codec.nbits,
    base + codesAt,
    base + resAt,
    rb,
    base + endsAt,
    docs.length,
    base + scratchAt,
    base + bestAt,
    base + outAt,
  );
  return new Float32Array(buffer.slice(base + outAt, base + outAt + docs.length * 4));
}

/** decodedScores in plain loops: each row decoded (decodeRow), then scored against every query row. */
export function decodedScoresJs(index: PlaidIndex, query: RowMatrix, docs: Uint32Array): Float32Array {
  const { dim, codec } = index;
  const rb = residualBytes(dim, codec.nbits);
  const row = new Float32Array(dim);
  const best = new Float32Array(query.rows);
  const out = new Float32Array(docs.length);
  docs.forEach((d, j) => {
    best.fill(-Infinity);
    for (let r = index.docOffsets[d]!; r < index.docOffsets[d + 1]!; r++) {
      decodeRow(codec, index.centroids, index.codes[r]! * dim, index.residuals, r * rb, row);
      for (let q = 0; q < query.rows; q++) {
        let s = 0;
        for (let i = 0; i < dim; i++) s += query.data[q * dim + i]! * row[i]!;
        if (s > best[q]!) best[q] = s;
      }
    }
    let score = 0;
    for (let q = 0; q < query.rows; q++) if (best[q]! > -Infinity) score += best[q]!;
    out[j] = score;
  });
  return out;
}
