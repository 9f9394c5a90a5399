import { describe, expect, it } from 'vitest';
import {
  cosine,
  dequantize,
  dot,
  maxSim,
  maxSimBinary,
  maxSimInt8,
  maxSimMany,
  quantizeBinary,
  quantizeInt8,
  topK,
  type RowMatrix,
} from '../src/index.js';
import { maxSimScalar } from '../src/backend-kit.js';
import { errorOf } from './helpers.js';

const m = (rows: number[][]): RowMatrix => ({
  rows: rows.length,
  dim: rows[0]?.length ?? 3,
  data: Float32Array.from(rows.flat()),
});

function naive(q: RowMatrix, d: RowMatrix): number {
  let total = 0;
  for (let i = 0; i < q.rows; i++) {
    let best = -Infinity;
    for (let j = 0; j < d.rows; j++) {
      let s = 0;
      for (let k = 0; k < q.dim; k++) s += q.data[i * q.dim + k]! * d.data[j * q.dim + k]!;
      best = Math.max(best, s);
    }
    total += best;
  }
  return total;
}

function random(rows: number, dim: number, seed: number): RowMatrix {
  let x = seed;
  const data = new Float32Array(rows * dim).map(() => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    return x / 2 ** 30 - 1;
  });
  return { rows, dim, data };
}

describe('MaxSim', () => {
  it('sums the best dot product of each query row', () => {
    const q = m([
      [1, 0, 0],
      [0, 1, 0],
    ]);
    const d = m([
      [0.5, 0.5, 0],
      [0.9, 0, 0.1],
      [0, -1, 0],
    ]);
    expect(maxSim(q, d)).toBeCloseTo(0.9 + 0.5, 6);
  });

  it('matches a naive implementation on odd dimensions', () => {
    for (const dim of [1, 5, 96, 130]) {
      const q = random(7, dim, dim);
      const d = random(11, dim, dim + 1);
      expect(maxSim(q, d)).toBeCloseTo(naive(q, d), 4);
    }
  });

  it('scores zero-row inputs as 0 and throws on mismatched dimensions', async () => {
    expect(maxSim({ rows: 0, dim: 3, data: new Float32Array() }, m([[1, 2, 3]]))).toBe(0);
    expect(maxSim(m([[1, 2, 3]]), { rows: 0, dim: 3, data: new Float32Array() })).toBe(0);
    const e = await errorOf(() => maxSim(m([[1, 2, 3]]), m([[1, 2]])));
    expect(e.code).toBe('DIMENSION_MISMATCH');
    expect((await errorOf(() => maxSimMany(m([[1, 2, 3]]), [m([[1, 2, 3]]), m([[1, 2]])]))).message).toMatch(/index 1/);
  });

  it('ranks with topK, best first, ties in input order', () => {
    expect(topK([0.1, 0.9, 0.5, 0.9], 3)).toEqual([
      { index: 1, score: 0.9 },
      { index: 3, score: 0.9 },
      { index: 2, score: 0.5 },
    ]);
  });
});

describe('quantization', () => {
  it('packs binary rows LSB first, ceil(dim/8) bytes, bit 1 where x >= 0', () => {
    const q = quantizeBinary(m([[1, -1, 0, -0.5, 2, 3, -3, 1, -1, 1]]));
    expect(q.stride).toBe(2);
    expect([...q.data]).toEqual([0b10110101, 0b10]);
    expect([...dequantize(q).data]).toEqual([1, -1, 1, -1, 1, 1, -1, 1, -1, 1]);
  });

  it('binary MaxSim equals the sign-vector dot product scaled by dim', () => {
    const q = random(4, 19, 1);
    const d = random(6, 19, 2);
    const qb = quantizeBinary(q);
    const db = quantizeBinary(d);
    expect(maxSimBinary(qb, db)).toBeCloseTo(naive(dequantize(qb), dequantize(db)) / 19, 6);
  });

  it('int8 keeps a per-row scale and approximates float MaxSim', () => {
    const q = random(4, 32, 3);
    const d = random(9, 32, 4);
    const qi = quantizeInt8(q);
    expect(qi.scales!.length).toBe(4);
    const back = dequantize(qi);
    for (let i = 0; i < q.data.length; i++)
      expect(Math.abs(back.data[i]! - q.data[i]!)).toBeLessThanOrEqual(qi.scales![Math.floor(i / 32)]! / 2 + 1e-7);
    expect(maxSimInt8(qi, quantizeInt8(d))).toBeCloseTo(naive(q, d), 1);
  });

  it('refuses to mix kinds or dimensions', async () => {
    const a = quantizeBinary(random(2, 16, 5));
    expect((await errorOf(() => maxSimBinary(a, quantizeInt8(random(2, 16, 6))))).code).toBe('INVALID_INPUT');
    expect((await errorOf(() => maxSimBinary(a, quantizeBinary(random(2, 8, 6))))).code).toBe('DIMENSION_MISMATCH');
  });
});

describe('dense scoring', () => {
  it('computes dot and cosine, 0 for zero vectors', async () => {
    expect(dot(Float32Array.of(1, 2), Float32Array.of(3, 4))).toBe(11);
    expect(cosine(Float32Array.of(1, 0), Float32Array.of(0, 2))).toBe(0);
    expect(cosine(Float32Array.of(2, 0), Float32Array.of(3, 0))).toBeCloseTo(1);
    expect(cosine(Float32Array.of(0, 0), Float32Array.of(3, 0))).toBe(0);
    expect((await errorOf(() => dot(Float32Array.of(1), Float32Array.of(1, 2)))).code).toBe('DIMENSION_MISMATCH');
  });
});

describe('SIMD MaxSim kernel', () => {
  it('agrees with the scalar kernel on many shapes, odd row counts included', () => {
    for (const [qr, dr, dim] of [
      [32, 100, 96],
      [31, 7, 128],
      [1, 1, 4],
      [5, 3, 24],
      [32, 180, 16],
    ] as const) {
      const q = random(qr, dim, qr + dim);
      const docs = [random(dr, dim, dr), random(dr + 1, dim, dr + 2), { rows: 0, dim, data: new Float32Array() }];
      const fast = maxSimMany(q, docs);
      docs.forEach((d, i) => expect(fast[i]).toBeCloseTo(maxSimScalar(q, d), 4));
      expect(fast[2]).toBe(0);
      expect(maxSim(q, docs[0]!)).toBeCloseTo(naive(q, docs[0]!), 4);
    }
  });

  it('falls back to the scalar kernel when dim is not a multiple of 4', () => {
    const q = random(3, 7, 1);
    const d = random(5, 7, 2);
    expect(maxSimMany(q, [d])[0]).toBeCloseTo(naive(q, d), 5);
  });

  it('gives the same binary MaxSim with the word kernel as byte by byte', () => {
    const q = quantizeBinary(random(6, 96, 3));
    const d = quantizeBinary(random(9, 96, 4));
    // Rows at an odd byte offset cannot be read as 32-bit words: this takes the byte kernel.
    const shifted = new Uint8Array(q.data.length + 1);
    shifted.set(q.data, 1);
    const byteAligned = { ...q, data: shifted.subarray(1) };
    expect(byteAligned.data.byteOffset % 4).not.toBe(0);
    const reference = naive(dequantize(q), dequantize(d)) / 96;
    expect(maxSimBinary(q, d)).toBeCloseTo(reference, 6);
    expect(maxSimBinary(byteAligned, d)).toBeCloseTo(reference, 6);
  });

  it('gives NaN for NaN inputs in every kernel, and topK ranks NaN after every number', () => {
    const q = random(4, 8, 5);
    const d = random(6, 8, 6);
    d.data[9] = NaN;
    expect(Number.isNaN(maxSimScalar(q, d))).toBe(true);
    expect(Number.isNaN(maxSimMany(q, [d])[0]!)).toBe(true);
    expect(Number.isNaN(maxSim(q, d))).toBe(true);
    expect(topK([0.5, NaN, 2, NaN, -1], 5).map((r) => r.index)).toEqual([2, 0, 4, 1, 3]);
    expect(topK([NaN, 1], 1)).toEqual([{ index: 1, score: 1 }]);
  });

  it('refuses a matrix whose data is shorter than rows x dim instead of reading stale memory', () => {
    const q = random(4, 8, 7);
    const short = { rows: 5, dim: 8, data: new Float32Array(16) };
    for (const f of [() => maxSimMany(q, [short]), () => maxSim(q, short), () => maxSimScalar(short, q)]) {
      expect(f).toThrow(/claims 5 rows of 8 but its data holds 16 floats/);
    }
    // A large short document would go to the SIMD kernel: it must be refused too.
    expect(() => maxSimMany(random(32, 96, 1), [{ rows: 100, dim: 96, data: new Float32Array(96) }])).toThrow(
      /INVALID_INPUT|claims 100 rows/,
    );
  });

  it('explains int8 embeddings without scales instead of a TypeError', () => {
    const q = quantizeInt8(random(3, 8, 8));
    const d = quantizeInt8(random(4, 8, 9));
    const noScales = { ...d, scales: undefined };
    expect(() => maxSimInt8(q, noScales)).toThrow(/int8 but has no scales/);
    expect(() => maxSimInt8(q, { ...d, scales: new Float32Array(2) })).toThrow(/2 scales for 4 rows/);
  });
});
