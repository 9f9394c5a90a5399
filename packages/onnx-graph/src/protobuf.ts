/** The few protobuf primitives needed to read an ONNX graph's signature and append nodes to it. */

export interface Field {
  num: number;
  wire: number;
  /** Varint value (wire 0) or the payload (wire 2). */
  value: bigint | Uint8Array;
}

export class Reader {
  pos = 0;
  constructor(
    readonly buf: Uint8Array,
    start = 0,
    readonly end = buf.length,
  ) {
    this.pos = start;
  }

  varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (this.pos >= this.end) throw new Error('truncated varint');
      const b = this.buf[this.pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) return result;
      shift += 7n;
      if (shift > 70n) throw new Error('varint too long');
    }
  }

  /** Next field, or undefined at the end. Fixed-width fields are skipped over. */
  next(): Field | undefined {
    while (this.pos < this.end) {
      const key = Number(this.varint());
      const num = key >>> 3;
      const wire = key & 7;
      if (wire === 0) return { num, wire, value: this.varint() };
      if (wire === 2) {
        const len = Number(this.varint());
        if (this.pos + len > this.end) throw new Error(`field ${num} runs past its message`);
        const value = this.buf.subarray(this.pos, this.pos + len);
        this.pos += len;
        return { num, wire, value };
      }
      if (wire === 1) this.pos += 8;
      else if (wire === 5) this.pos += 4;
      else throw new Error(`unsupported wire type ${wire}`);
      if (this.pos > this.end) throw new Error('fixed field runs past its message');
    }
    return undefined;
  }
}

export function* fields(buf: Uint8Array): Generator<Field> {
  const r = new Reader(buf);
  for (let f = r.next(); f; f = r.next()) yield f;
}

export class Writer {
  private parts: Uint8Array[] = [];

  private varintBytes(v: bigint | number): Uint8Array {
    let x = BigInt(v);
    if (x < 0n) x += 1n << 64n;
    const out: number[] = [];
    do {
      let b = Number(x & 0x7fn);
      x >>= 7n;
      if (x) b |= 0x80;
      out.push(b);
    } while (x);
    return Uint8Array.from(out);
  }

  varint(num: number, v: bigint | number): this {
    this.parts.push(this.varintBytes(num << 3), this.varintBytes(v));
    return this;
  }

  /** A float field (wire type 5, little-endian float32). */
  float32(num: number, v: number): this {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, v, true);
    this.parts.push(this.varintBytes((num << 3) | 5), b);
    return this;
  }

  bytes(num: number, data: Uint8Array): this {
    this.parts.push(this.varintBytes((num << 3) | 2), this.varintBytes(data.length), data);
    return this;
  }

  string(num: number, s: string): this {
    return this.bytes(num, new TextEncoder().encode(s));
  }

  message(num: number, w: Writer): this {
    return this.bytes(num, w.finish());
  }

  finish(): Uint8Array {
    const len = this.parts.reduce((s, p) => s + p.length, 0);
    const out = new Uint8Array(len);
    let o = 0;
    for (const p of this.parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  }
}
