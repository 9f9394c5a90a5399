import fc from 'fast-check';
import { assertProperty } from '@tessera/fixtures/property';
import { describe, expect, it } from 'vitest';
import { jsonBody } from '../src/json-body.js';

const f32 = (bits: number) => new Float32Array(new Int32Array([bits]).buffer)[0]!;
const text = (v: unknown) => jsonBody(v).toString('utf8');

/** The reference: the fewest significant digits that read back as the same float32. */
function shortest(x: number): number {
  for (let p = 1; p <= 9; p++) {
    const n = Number(x.toPrecision(p));
    if (Math.fround(n) === x) return n;
  }
  throw new Error(`no decimal reads back as ${x}`);
}

describe('float32 rows as JSON', () => {
  it('writes every float32 as the shortest decimal that reads back as it', async () => {
    await assertProperty(
      fc.property(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), (bits) => {
        const x = f32(bits);
        const [back] = JSON.parse(text(Float32Array.of(x))) as [number | null];
        if (!Number.isFinite(x)) return back === null;
        return Math.fround(back!) === x && back === shortest(x);
      }),
      { minRuns: 10000, maxRuns: 50_000, seconds: 5 },
    );
  });

  it('writes magnitudes typical of embeddings, powers of ten and the edges as TEI and numpy print them', () => {
    const cases: Array<[number, string]> = [
      [0.1, '0.1'],
      [-0.25, '-0.25'],
      [0.012345678, '0.012345678'],
      [1, '1'],
      [100, '100'],
      [123456, '123456'],
      [99999.99, '99999.99'],
      [9.99999, '9.99999'],
      [1e-6, '0.000001'],
      [1e-7, '1e-7'],
      [9.999999e-7, '9.999999e-7'],
      [1e21, '1e+21'],
      [3.4028235e38, '3.4028235e+38'],
      [1.4e-45, '1e-45'],
      [0, '0'],
      [-0, '0'],
    ];
    for (const [x, want] of cases) expect(text(Float32Array.of(x)), String(x)).toBe(`[${want}]`);
    expect(text(Float32Array.of(NaN, Infinity, -Infinity))).toBe('[null,null,null]');
  });

  it('writes everything else exactly as JSON.stringify does', async () => {
    await assertProperty(
      fc.property(fc.jsonValue(), (v) => text(v) === JSON.stringify(v)),
      { minRuns: 100, maxRuns: 1000, seconds: 3 },
    );
    const v = {
      a: undefined,
      b: [undefined, () => 1, 'x"\u2028\u0000é😀'],
      c: { d: null, e: NaN, f: -0 },
      g: true,
      h: new Date(0),
      i: { toJSON: () => [1, 'two'] },
    };
    expect(text(v)).toBe(JSON.stringify(v));
  });

  it('puts rows of any length at their place in the document, growing its buffer', () => {
    const rows = Array.from({ length: 300 }, (_, r) =>
      Float32Array.from({ length: 96 }, (_, i) => Math.sin(r * 96 + i) / 7),
    );
    const body = { model: 'm', data: [{ index: 0, embeddings: rows }], usage: { total_tokens: 300 } };
    const parsed = JSON.parse(text(body));
    expect(parsed.model).toBe('m');
    expect(parsed.usage).toEqual({ total_tokens: 300 });
    expect(parsed.data[0].embeddings.map((r: number[]) => Float32Array.from(r))).toEqual(rows);
  });
});
