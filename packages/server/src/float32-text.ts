/**
 * Float32 values as JSON numbers: the shortest decimal that reads back as the same float32, as
 * text-embeddings-inference (Rust, serde_json) and numpy's float32 repr print them. Hand-written
 * because JSON.stringify sees a float32 widened to a double and writes up to 17 digits
 * (0.10000000149011612 for 0.1f): about twice the bytes, and on ~10k numbers a document it was
 * the server's largest cost after the forward pass (bench/decisions.md#float32-json-server). No npm
 * library writes float32's shortest form (Ryu, behind TEI's serde_json, is C and Rust).
 */

const POW10 = Float64Array.from({ length: 23 }, (_, i) => 10 ** i);
const LOG10_2 = Math.log10(2);
/** The four ASCII digits of 0..9999, zero-padded: two divisions write nine digits. */
const QUADS = new Uint8Array(40000);
for (let n = 0; n < 10000; n++) {
  QUADS[4 * n] = 48 + ((n / 1000) | 0);
  QUADS[4 * n + 1] = 48 + (((n / 100) | 0) % 10);
  QUADS[4 * n + 2] = 48 + (((n / 10) | 0) % 10);
  QUADS[4 * n + 3] = 48 + (n % 10);
}

/**
 * The p-digit decimal mantissa nearest to a (with a's decimal exponent e) when that decimal reads
 * back as a, else -1. Exact: the integer and the power of ten are exact doubles, so the division
 * or product is the correctly rounded value that parsing the decimal gives.
 */
function mantissa(a: number, p: number, e: number): number {
  const k = p - 1 - e;
  if (k >= 0) {
    const s = POW10[k]!;
    const m = Math.round(a * s);
    return Math.fround(m / s) === a ? m : -1;
  }
  const s = POW10[-k]!;
  const m = Math.round(a / s);
  return Math.fround(m * s) === a ? m : -1;
}

/** Writes m (below 1e9) as nine zero-padded digits at pos. */
function nineDigits(buf: Uint8Array, pos: number, m: number): void {
  const d = (m / 100000000) | 0;
  const r = m - d * 100000000;
  const hi = (r / 10000) | 0;
  const h = hi * 4;
  const l = (r - hi * 10000) * 4;
  buf[pos] = 48 + d;
  buf[pos + 1] = QUADS[h]!;
  buf[pos + 2] = QUADS[h + 1]!;
  buf[pos + 3] = QUADS[h + 2]!;
  buf[pos + 4] = QUADS[h + 3]!;
  buf[pos + 5] = QUADS[l]!;
  buf[pos + 6] = QUADS[l + 1]!;
  buf[pos + 7] = QUADS[l + 2]!;
  buf[pos + 8] = QUADS[l + 3]!;
}

/** Rare magnitudes (below 1e-14, above 1e13, subnormals) by the slow, obvious search. */
function slowShortest(a: number): string {
  for (let p = 1; p <= 9; p++) {
    const s = a.toPrecision(p);
    if (Math.fround(Number(s)) === a) return String(Number(s));
  }
  return String(a);
}

function writeAscii(buf: Uint8Array, pos: number, s: string): number {
  for (let i = 0; i < s.length; i++) buf[pos++] = s.charCodeAt(i);
  return pos;
}

/** The most bytes writeFloat32 writes for one number (-0.00000123456789). */
export const MAX_FLOAT32_BYTES = 17;

/**
 * Writes v (a float32 value, with its bit pattern) at pos; returns the position after it. NaN
 * and infinities are written as null, as JSON.stringify does. buf needs MAX_FLOAT32_BYTES free
 * bytes at pos.
 */
export function writeFloat32(buf: Uint8Array, pos: number, v: number, bits: number): number {
  const exp = (bits >>> 23) & 0xff;
  if (exp === 0xff) return writeAscii(buf, pos, 'null');
  if (v === 0) {
    buf[pos] = 48;
    return pos + 1;
  }
  // The sign without a branch: embeddings' signs are random, and a mispredicted branch costs more.
  buf[pos] = 45;
  pos += bits >>> 31;
  const a = Math.abs(v);
  // The decimal exponent from the binary one, then one correction.
  let e = Math.floor((exp - 127) * LOG10_2);
  if (exp === 0 || e < -14 || e > 13) return writeAscii(buf, pos, slowShortest(a));
  if ((e >= 0 ? POW10[e + 1]! : 1 / POW10[-e - 1]!) <= a) e++;
  // Nine significant digits always read back; most values need eight or nine, so start at eight.
  let p = 8;
  let m = mantissa(a, 8, e);
  if (m < 0) {
    p = 9;
    m = mantissa(a, 9, e);
  } else {
    while (p > 1) {
      const shorter = mantissa(a, p - 1, e);
      if (shorter < 0) break;
      p--;
      m = shorter;
    }
  }
  if (m >= POW10[p]!) {
    // Rounding carried into a new digit (9.9999995 -> 10.000000).
    e++;
    m = Math.round(m / 10);
  }
  m |= 0;
  while (p > 1) {
    const q = (m / 10) | 0;
    if (m !== q * 10) break;
    m = q;
    p--;
  }
  // The p digits of m are the first p of the nine digits of m * 10^(9-p).
  const m9 = m * POW10[9 - p]!;
  if (e < 0 && e >= -6) {
    buf[pos] = 48;
    buf[pos + 1] = 46;
    pos += 2;
    for (let i = -1; i > e; i--) buf[pos++] = 48;
    nineDigits(buf, pos, m9);
    return pos + p;
  }
  nineDigits(buf, pos + 1, m9);
  if (e < 0 || e > 20) {
    // Exponent form where JSON.stringify uses it: 1.5e-7.
    buf[pos] = buf[pos + 1]!;
    if (p > 1) {
      buf[pos + 1] = 46;
      pos += p + 1;
    } else pos += 1;
    buf[pos++] = 101;
    buf[pos++] = e < 0 ? 45 : 43;
    const x = e < 0 ? -e : e;
    if (x >= 10) buf[pos++] = 48 + ((x / 10) | 0);
    buf[pos++] = 48 + (x % 10);
    return pos;
  }
  // e + 1 integer digits (zeros past the p-th), then the fraction if any.
  for (let i = 0; i <= e; i++) buf[pos + i] = i < p ? buf[pos + 1 + i]! : 48;
  if (p <= e + 1) return pos + e + 1;
  buf[pos + e + 1] = 46;
  return pos + p + 1;
}
