/** Float32 values as little-endian bytes in base64 (what OpenAI's and Jina's base64 formats carry). */
export function base64Floats(v: Float32Array): string {
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
}

/**
 * Packed sign bits as the Jina API and sentence-transformers' quantize_embeddings return them:
 * bit 1 where x > 0, most significant bit first; 'ubinary' as unsigned bytes, 'binary' as signed
 * (ubinary - 128). (Tessera's own quantize() packs least significant bit first.)
 */
export function packBits(v: Float32Array, signed: boolean): number[] {
  const out: number[] = [];
  for (let i = 0; i < v.length; i += 8) {
    let byte = 0;
    for (let b = 0; b < 8; b++) if (i + b < v.length && v[i + b]! > 0) byte |= 0x80 >> b;
    out.push(signed ? byte - 128 : byte);
  }
  return out;
}

/** The rows of a rows x dim matrix. */
export function rowsOf(data: Float32Array, rows: number, dim: number): Float32Array[] {
  return Array.from({ length: rows }, (_, r) => data.subarray(r * dim, (r + 1) * dim));
}
