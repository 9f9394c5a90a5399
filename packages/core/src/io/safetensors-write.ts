import { writeFile } from 'node:fs/promises';

export interface TensorToWrite {
  dtype: 'F32' | 'I32' | 'U8' | 'I8';
  shape: number[];
  data: Float32Array | Int32Array | Uint8Array | Int8Array;
}

/** Serializes tensors into the safetensors format (readable by Python's safetensors). */
export function encodeSafetensors(
  tensors: Record<string, TensorToWrite>,
  metadata: Record<string, string> = {},
): Buffer {
  // No prototype: a tensor named "__proto__" is a key like any other, not a prototype to set.
  const header: Record<string, unknown> = Object.create(null);
  if (Object.keys(metadata).length) header.__metadata__ = metadata;
  let offset = 0;
  const parts: Buffer[] = [];
  for (const [name, t] of Object.entries(tensors)) {
    const bytes = Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes.length] };
    parts.push(bytes);
    offset += bytes.length;
  }
  let json = JSON.stringify(header);
  // Pad the header with spaces so the data section starts 8-byte aligned.
  json += ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
  return Buffer.concat([len, Buffer.from(json, 'utf8'), ...parts]);
}

export async function writeSafetensors(
  path: string,
  tensors: Record<string, TensorToWrite>,
  metadata?: Record<string, string>,
): Promise<void> {
  await writeFile(path, encodeSafetensors(tensors, metadata));
}
