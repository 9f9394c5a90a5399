import { describe, expect, it } from 'vitest';
import { encodeF16, halfToFloat } from '../src/backend-kit.js';

describe('float16 encoding', () => {
  it('gives back every half value it is given (all 65536 bit patterns; NaN stays NaN)', () => {
    const halves = Uint16Array.from({ length: 65536 }, (_, i) => i);
    const floats = Float32Array.from(halves, (h) => halfToFloat(h));
    const back = encodeF16(floats);
    for (let h = 0; h < 65536; h++) {
      if (Number.isNaN(floats[h]!)) expect(Number.isNaN(halfToFloat(back[h]!)), `0x${h.toString(16)}`).toBe(true);
      else if (back[h] !== h) expect.fail(`0x${h.toString(16)} came back as 0x${back[h]!.toString(16)}`);
    }
  });

  it('rounds a float to the nearest half, ties to even, overflow to infinity, underflow to zero', () => {
    // Seeded floats over the half range and beyond, normal and subnormal.
    let seed = 7;
    const next = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32) * 2 - 1;
    const xs = Float32Array.from({ length: 20_000 }, (_, i) => next() * 2 ** ((i % 44) - 28));
    const hs = encodeF16(xs);
    xs.forEach((x, i) => {
      const h = hs[i]!;
      const v = halfToFloat(h);
      // No other half is closer: check both neighbours of the chosen one (same sign).
      for (const n of [h - 1, h + 1]) {
        if ((n & 0x7fff) > 0x7c00 || n < 0 || n > 0xffff || (n ^ h) & 0x8000) continue;
        const d = Math.abs(halfToFloat(n) - x);
        const mine = Math.abs(v - x);
        if (d < mine || (d === mine && h & 1))
          expect.fail(`${x}: chose ${v} (0x${h.toString(16)}), ${halfToFloat(n)} is nearer or even`);
      }
    });
    expect([...encodeF16(Float32Array.of(65520, -1e6, 2 ** -26, -(2 ** -25), 2 ** -24))]).toEqual([
      0x7c00, 0xfc00, 0, 0x8000, 1,
    ]);
  });
});
