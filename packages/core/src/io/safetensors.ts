import { TesseraError } from '../errors.js';
import type { ModelFiles } from './model-files.js';
import { decodeBF16, decodeF16 } from './half.js';

/** Float dtypes we decode; others are listed so that errors can name them. */
export type SafetensorsDtype = 'F32' | 'F16' | 'BF16';
const DTYPE_BYTES: Record<string, number> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
};
/** Real headers are a few hundred KiB; anything near this bound is a corrupt or hostile file. */
const MAX_HEADER_BYTES = 100 * 1024 * 1024;

export interface TensorInfo {
  name: string;
  dtype: string;
  shape: number[];
  /** Byte range inside the data section. */
  begin: number;
  end: number;
}

function corrupt(path: string, message: string, field?: string): TesseraError {
  return new TesseraError('CORRUPT_FILE', `${path}: ${message}`, { file: path, field });
}

/** A validated safetensors file; tensors are read lazily, one byte range at a time. */
export class SafetensorsFile {
  readonly path: string;
  readonly metadata: Record<string, string>;
  private readonly tensors: Map<string, TensorInfo>;
  private readonly dataStart: number;
  private readonly files: ModelFiles;

  private constructor(
    path: string,
    tensors: Map<string, TensorInfo>,
    metadata: Record<string, string>,
    dataStart: number,
    files: ModelFiles,
  ) {
    this.files = files;
    this.path = path;
    this.tensors = tensors;
    this.metadata = metadata;
    this.dataStart = dataStart;
  }

  static async open(path: string, files: ModelFiles): Promise<SafetensorsFile> {
    if (files.kind(path) !== 'file')
      throw new TesseraError('MODEL_NOT_FOUND', `${path}: cannot open safetensors file (no such file)`, { file: path });
    const size = files.size(path);
    if (size < 8) throw corrupt(path, `file is ${size} bytes, too short for a safetensors header`);
    const lenBytes = await files.read(path, 0, 8);
    const headerLen = Number(new DataView(lenBytes.buffer, lenBytes.byteOffset, 8).getBigUint64(0, true));
    if (headerLen > MAX_HEADER_BYTES)
      throw corrupt(path, `header length ${headerLen} exceeds the ${MAX_HEADER_BYTES}-byte bound`);
    if (8 + headerLen > size)
      throw corrupt(path, `header length ${headerLen} runs past the end of the ${size}-byte file`);
    const header = await files.read(path, 8, 8 + headerLen);
    return SafetensorsFile.fromHeader(path, new TextDecoder().decode(header), 8 + headerLen, size, files);
  }

  /** Parses and validates a header; exported for tests of hostile headers. */
  static fromHeader(
    path: string,
    text: string,
    dataStart: number,
    fileSize: number,
    files: ModelFiles,
  ): SafetensorsFile {
    let header: unknown;
    try {
      header = JSON.parse(text);
    } catch (e) {
      throw corrupt(path, `header is not valid JSON (${(e as Error).message})`);
    }
    if (!header || typeof header !== 'object' || Array.isArray(header))
      throw corrupt(path, 'header is not a JSON object');
    const dataLen = fileSize - dataStart;
    const tensors = new Map<string, TensorInfo>();
    let metadata: Record<string, string> = {};
    for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
      if (name === '__metadata__') {
        if (raw && typeof raw === 'object') metadata = raw as Record<string, string>;
        continue;
      }
      const entry = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
      if (!entry || typeof entry !== 'object') throw corrupt(path, `tensor "${name}" has no description`, name);
      const dtype = entry.dtype;
      if (typeof dtype !== 'string' || !Object.hasOwn(DTYPE_BYTES, dtype))
        throw corrupt(path, `tensor "${name}" has unknown dtype ${JSON.stringify(dtype)}`, `${name}.dtype`);
      const shape = entry.shape;
      if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0))
        throw corrupt(path, `tensor "${name}" has an invalid shape ${JSON.stringify(shape)}`, `${name}.shape`);
      const off = entry.data_offsets;
      if (!Array.isArray(off) || off.length !== 2 || !off.every((o) => Number.isInteger(o) && o >= 0))
        throw corrupt(path, `tensor "${name}" has invalid data_offsets ${JSON.stringify(off)}`, `${name}.data_offsets`);
      const [begin, end] = off as [number, number];
      if (begin > end || end > dataLen)
        throw corrupt(
          path,
          `tensor "${name}" data_offsets [${begin}, ${end}] fall outside the ${dataLen}-byte data section`,
          `${name}.data_offsets`,
        );
      const numel = (shape as number[]).reduce((a, b) => a * b, 1);
      if (numel * DTYPE_BYTES[dtype]! !== end - begin)
        throw corrupt(
          path,
          `tensor "${name}" has ${end - begin} bytes but shape ${JSON.stringify(shape)} of ${dtype} needs ${numel * DTYPE_BYTES[dtype]!}`,
          `${name}.data_offsets`,
        );
      tensors.set(name, { name, dtype, shape: shape as number[], begin, end });
    }
    return new SafetensorsFile(path, tensors, metadata, dataStart, files);
  }

  names(): string[] {
    return [...this.tensors.keys()];
  }

  has(name: string): boolean {
    return this.tensors.has(name);
  }

  info(name: string): TensorInfo {
    const t = this.tensors.get(name);
    if (!t)
      throw new TesseraError('INVALID_MODEL', `${this.path}: tensor "${name}" is missing`, {
        file: this.path,
        field: name,
      });
    return t;
  }

  /** Raw bytes of one tensor. */
  async readBytes(name: string): Promise<Uint8Array> {
    const t = this.info(name);
    const bytes = await this.files.read(this.path, this.dataStart + t.begin, this.dataStart + t.end);
    if (bytes.length !== t.end - t.begin)
      throw corrupt(this.path, `tensor "${name}" was cut short (${bytes.length} of ${t.end - t.begin} bytes)`, name);
    return bytes;
  }

  /** One tensor decoded to float32 (F32, F16 and BF16). */
  async readFloat32(name: string): Promise<Float32Array> {
    const t = this.info(name);
    const bytes = await this.readBytes(name);
    return bytesToFloat32(bytes, t.dtype, `${this.path}: tensor "${name}"`);
  }

  /** Every tensor decoded to float32, keyed by name. */
  async readAllFloat32(
    filter?: (name: string) => boolean,
  ): Promise<Map<string, { shape: number[]; data: Float32Array }>> {
    const out = new Map<string, { shape: number[]; data: Float32Array }>();
    for (const t of this.tensors.values()) {
      if (filter && !filter(t.name)) continue;
      out.set(t.name, { shape: t.shape, data: await this.readFloat32(t.name) });
    }
    return out;
  }
}

export function bytesToFloat32(bytes: Uint8Array, dtype: string, what: string): Float32Array {
  const count = bytes.byteLength / (DTYPE_BYTES[dtype] ?? 1);
  switch (dtype) {
    case 'F32': {
      const copy = new Uint8Array(bytes); // aligned copy
      return new Float32Array(copy.buffer, 0, count);
    }
    case 'F16':
      return decodeF16(bytes, count);
    case 'BF16':
      return decodeBF16(bytes, count);
    default:
      throw new TesseraError(
        'INVALID_MODEL',
        `${what} has dtype ${dtype}; only F32, F16 and BF16 weights are supported`,
        { dtype },
      );
  }
}
