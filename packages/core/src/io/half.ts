/** IEEE 754 half and bfloat16 decoding into float32, and float32 into half. */

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

export function decodeF16(src: Uint8Array, count: number): Float32Array {
  const out = new Float32Array(count);
  const view = new DataView(src.buffer, src.byteOffset, src.byteLength);
  // A table of all 65536 values would cost 256 KiB; the direct formula is fast enough for load time.
  for (let i = 0; i < count; i++) out[i] = halfToFloat(view.getUint16(i * 2, true));
  return out;
}

export function decodeBF16(src: Uint8Array, count: number): Float32Array {
  const out = new Float32Array(count);
  const view = new DataView(src.buffer, src.byteOffset, src.byteLength);
  for (let i = 0; i < count; i++) {
    u32[0] = view.getUint16(i * 2, true) << 16;
    out[i] = f32[0]!;
  }
  return out;
}

/** Float32 values as IEEE half bits, rounded to nearest even as torch's .half() rounds (fp16 weights). */
export function encodeF16(data: Float32Array): Uint16Array {
  const out = new Uint16Array(data.length);
  for (let k = 0; k < data.length; k++) {
    f32[0] = data[k]!;
    const x = u32[0]!;
    const sign = (x >>> 16) & 0x8000;
    const exp = (x >>> 23) & 0xff;
    let mant = x & 0x7fffff;
    if (exp === 0xff) out[k] = sign | 0x7c00 | (mant ? 0x200 : 0);
    else {
      const e = exp - 127 + 15;
      if (e >= 0x1f) out[k] = sign | 0x7c00;
      else if (e <= 0) {
        if (e < -10) out[k] = sign;
        else {
          mant |= 0x800000;
          const shift = 14 - e;
          let h = mant >>> shift;
          const rest = mant & ((1 << shift) - 1);
          const half = 1 << (shift - 1);
          if (rest > half || (rest === half && h & 1)) h++;
          out[k] = sign | h;
        }
      } else {
        let h = (e << 10) | (mant >>> 13);
        const rest = mant & 0x1fff;
        if (rest > 0x1000 || (rest === 0x1000 && h & 1)) h++;
        out[k] = sign | h;
      }
    }
  }
  return out;
}
