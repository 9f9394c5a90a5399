import { describe, expect, it } from 'vitest';
import {
  DocumentScorer,
  maxSim,
  quantizeBinary,
  quantizeInt8,
  maxSimBinary,
  maxSimInt8,
  type RowMatrix,
} from '../src/index.js';
import { maxSimScalar } from '../src/backend-kit.js';
import { errorOf } from './helpers.js';

function rng(seed: number) {
  let s = seed;
  return () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648 - 0.5;
}
function rows(n: number, dim: number, next: () => number, unit = true): RowMatrix {
  const data = new Float32Array(n * dim);
  for (let r = 0; r < n; r++) {
    let s = 0;
    for (let j = 0; j < dim; j++) s += (data[r * dim + j] = next()) ** 2;
    if (unit) for (let j = 0; j < dim; j++) data[r * dim + j]! /= Math.sqrt(s);
  }
  return { rows: n, dim, data };
}

describe('the packed scorer (core kernel)', () => {
  const next = rng(5);
  const dim = 96;
  // Ragged: 0 to 37 rows, including empty documents and single rows.
  const docs = Array.from({ length: 300 }, (_, i) => rows(i % 11 === 0 ? 0 : 1 + ((i * 13) % 37), dim, next));

  for (const threads of [1, 2]) {
    it(`equals the scalar reference to 1e-5 for ragged and empty documents, on ${threads} thread(s), any query length`, async () => {
      const s = await DocumentScorer.create(docs, { engine: 'core', threads });
      for (const qRows of [1, 3, 4, 7, 32]) {
        const q = rows(qRows, dim, next);
        const got = await s.score(q);
        docs.forEach((d, i) =>
          expect(Math.abs(got[i]! - maxSimScalar(q, d)), `doc ${i}, ${qRows} query rows`).toBeLessThan(1e-5),
        );
        expect(docs.map((d, i) => (d.rows === 0 ? got[i] : 0)).every((x) => x === 0)).toBe(true);
      }
      const many = await s.scoreMany([rows(2, dim, next), rows(5, dim, next)]);
      expect(many.length).toBe(2);
      const top = await s.topK(rows(4, dim, next), 5);
      expect(top.length).toBe(5);
      await s.dispose();
    });
  }

  it('runs big inputs over worker threads with the same results as one thread', async () => {
    const big = Array.from({ length: 2000 }, () => rows(100, dim, next));
    const q = rows(32, dim, next);
    const one = await DocumentScorer.create(big, { engine: 'core', threads: 1 });
    const two = await DocumentScorer.create(big, { engine: 'core', threads: 2 });
    const [a, b] = [await one.score(q), await two.score(q)];
    for (let i = 0; i < a.length; i++) expect(Math.abs(a[i]! - b[i]!)).toBeLessThan(1e-6);
    expect(Math.abs(a[17]! - maxSimScalar(q, big[17]!))).toBeLessThan(1e-5);
    // Calls at once on one scorer do not mix their queries.
    const q2 = rows(8, dim, next);
    const [x, y] = await Promise.all([two.score(q), two.score(q2)]);
    expect(Math.abs(x[3]! - a[3]!)).toBeLessThan(1e-6);
    expect(Math.abs(y[3]! - maxSimScalar(q2, big[3]!))).toBeLessThan(1e-5);
    await one.dispose();
    await two.dispose();
  });

  it('scores int8 documents as the integer reference: an int8 query as is, a float query in int16', async () => {
    const q = rows(9, dim, next);
    const i8 = docs.map((d) => quantizeInt8(d));
    const s8 = await DocumentScorer.create(i8, { engine: 'core', threads: 2 });
    const got = await s8.score(quantizeInt8(q));
    i8.forEach((d, i) => expect(got[i], `doc ${i}`).toBeCloseTo(maxSimInt8(quantizeInt8(q), d), 4));
    // A float query: rows quantized to int16 with scale max|x| / 16383, integer dot products.
    const q16 = Array.from({ length: q.rows }, (_, r) => {
      const row = q.data.subarray(r * dim, (r + 1) * dim);
      const scale = Math.max(...row.map(Math.abs)) / 16383;
      return { scale, v: Array.from(row, (x) => Math.round(x / scale)) };
    });
    const want = i8.map((d) =>
      d.rows === 0
        ? 0
        : q16.reduce((sum, { scale, v }) => {
            let best = -Infinity;
            for (let r = 0; r < d.rows; r++) {
              let dot = 0;
              for (let k = 0; k < dim; k++) dot += v[k]! * d.data[r * dim + k]!;
              best = Math.max(best, Math.fround(d.scales![r]! * dot));
            }
            return sum + best * scale;
          }, 0),
    );
    const fromFloat = await s8.score(q);
    i8.forEach((_, i) => expect(fromFloat[i], `doc ${i}, float query`).toBeCloseTo(want[i]!, 4));
    // The int16 query is closer to the float32 scores than an int8 one.
    const exact = docs.map((d) => maxSim(q, d));
    const err = (a: Float32Array) => a.reduce((s, x, i) => s + Math.abs(x - exact[i]!), 0);
    expect(err(fromFloat)).toBeLessThan(err(got));
    const bin = docs.map((d) => quantizeBinary(d));
    const sb = await DocumentScorer.create(bin);
    const gb = await sb.score(quantizeBinary(q));
    bin.forEach((d, i) => expect(gb[i]).toBe(Math.fround(maxSimBinary(quantizeBinary(q), d))));
    expect((await errorOf(sb.score(q))).message).toMatch(/binary documents need a binary query/);
  });

  it('propagates NaN, refuses mixed dimensions and kinds, and calls after dispose', async () => {
    const bad = rows(3, dim, next);
    bad.data[5] = NaN;
    const s = await DocumentScorer.create([rows(2, dim, next), bad], { engine: 'core' });
    const got = await s.score(rows(2, dim, next));
    expect(Number.isNaN(got[1])).toBe(true);
    expect(Number.isNaN(got[0])).toBe(false);
    expect((await errorOf(s.score(rows(2, 64, next)))).message).toBe(
      'query has dimension 64 but the documents have 96',
    );
    await s.dispose();
    expect((await errorOf(s.score(rows(2, dim, next)))).code).toBe('DISPOSED');
    expect((await errorOf(DocumentScorer.create([rows(2, dim, next), rows(2, 64, next)]))).message).toBe(
      'document 1 has dimension 64 but document 0 has 96',
    );
    expect(
      (await errorOf(DocumentScorer.create([rows(2, dim, next), quantizeInt8(rows(2, dim, next))]))).message,
    ).toMatch(/document 1 is int8 but document 0 is float32/);
    expect((await errorOf(DocumentScorer.create([{ rows: 3, dim, data: new Float32Array(10) }]))).message).toMatch(
      /claims 3 rows of 96/,
    );
  });
});

describe('toRows', () => {
  it('gives token rows as number[][] and a dense vector as one row', async () => {
    const { toRows } = await import('../src/index.js');
    expect(toRows({ rows: 2, dim: 3, data: Float32Array.of(1, 2, 3, 4, 5, 6) })).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(toRows({ dim: 2, data: Float32Array.of(0.5, -1) })).toEqual([[0.5, -1]]);
    expect(toRows({ rows: 0, dim: 4, data: new Float32Array(0) })).toEqual([]);
    expect(() => toRows({ rows: 3, dim: 4, data: new Float32Array(4) })).toThrow(/claim 3 rows of 4 but hold 4 floats/);
  });
});
