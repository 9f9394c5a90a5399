import type { FastifyReply } from 'fastify';
import { MAX_FLOAT32_BYTES, writeFloat32 } from './float32-text.js';

/**
 * A response body as JSON bytes, where every Float32Array in it becomes an array of numbers in
 * float32's shortest form (float32-text.ts). Everything else is written as JSON.stringify writes
 * it: undefined members are left out, non-finite numbers become null, toJSON() is called.
 */
export function jsonBody(value: unknown, written?: ReadonlyMap<Float32Array, Uint8Array>): Buffer {
  const w = new JsonWriter(written);
  w.value(value);
  return w.done();
}

/** Each array's JSON text, one after the other, and where each ends: the rows a formatting thread writes for a body. */
export function jsonFloatArrays(rows: readonly Float32Array[]): { bytes: Buffer; ends: Int32Array } {
  const w = new JsonWriter();
  const ends = new Int32Array(rows.length);
  rows.forEach((r, i) => {
    w.value(r);
    ends[i] = w.length;
  });
  return { bytes: w.done(), ends };
}

/** The Float32Arrays in a value, in the order JSON writes them. */
export function floatArrays(v: unknown, out: Float32Array[] = []): Float32Array[] {
  if (v instanceof Float32Array) out.push(v);
  else if (v !== null && typeof v === 'object')
    for (const x of Array.isArray(v) ? v : Object.values(v)) floatArrays(x, out);
  return out;
}

class JsonWriter {
  /** Arrays whose JSON text was written elsewhere (formatting threads): copied, not written again. */
  constructor(private readonly written?: ReadonlyMap<Float32Array, Uint8Array>) {}

  private buf = Buffer.allocUnsafe(1 << 16);
  private pos = 0;

  private reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(bigger, 0, 0, this.pos);
    this.buf = bigger;
  }

  private text(s: string): void {
    this.reserve(Buffer.byteLength(s));
    this.pos += this.buf.write(s, this.pos);
  }

  private byte(c: number): void {
    this.reserve(1);
    this.buf[this.pos++] = c;
  }

  get length(): number {
    return this.pos;
  }

  private floats(v: Float32Array): void {
    const ready = this.written?.get(v);
    if (ready) {
      this.reserve(ready.length);
      this.buf.set(ready, this.pos);
      this.pos += ready.length;
      return;
    }
    const bits = new Int32Array(v.buffer, v.byteOffset, v.length);
    this.reserve(2 + v.length * (MAX_FLOAT32_BYTES + 1));
    const buf = this.buf;
    let pos = this.pos;
    buf[pos++] = 91;
    for (let i = 0; i < v.length; i++) {
      if (i) buf[pos++] = 44;
      pos = writeFloat32(buf, pos, v[i]!, bits[i]!);
    }
    buf[pos++] = 93;
    this.pos = pos;
  }

  value(v: unknown): void {
    if (v instanceof Float32Array) {
      this.floats(v);
      return;
    }
    if (v !== null && typeof v === 'object' && typeof (v as { toJSON?: unknown }).toJSON === 'function') {
      this.value((v as { toJSON: () => unknown }).toJSON());
      return;
    }
    if (Array.isArray(v)) {
      this.byte(91);
      v.forEach((x, i) => {
        if (i) this.byte(44);
        // As JSON.stringify: undefined and functions in arrays are null.
        if (x === undefined || typeof x === 'function') this.text('null');
        else this.value(x);
      });
      this.byte(93);
      return;
    }
    if (v !== null && typeof v === 'object') {
      this.byte(123);
      let first = true;
      for (const [k, x] of Object.entries(v)) {
        if (x === undefined || typeof x === 'function') continue;
        if (!first) this.byte(44);
        first = false;
        this.text(JSON.stringify(k));
        this.byte(58);
        this.value(x);
      }
      this.byte(125);
      return;
    }
    this.text(JSON.stringify(v) ?? 'null');
  }

  done(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}

export const JSON_TYPE = 'application/json; charset=utf-8';

/** Sets the JSON content type and returns the body for Fastify to send as it is. */
export function replyJson(reply: FastifyReply, value: unknown): Buffer {
  reply.type(JSON_TYPE);
  return jsonBody(value);
}
