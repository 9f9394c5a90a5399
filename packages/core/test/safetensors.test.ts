import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeSafetensors } from '../src/index.js';
import { SafetensorsFile, halfToFloat, decodeBF16 } from '../src/backend-kit.js';
import { fixtures } from '@tessera/fixtures';
import { copyFixture, errorOf } from './helpers.js';
import { nodeFiles } from '../src/io/node-files.js';

function fileWithHeader(header: string, dataBytes = 0): string {
  const dir = copyFixture(fixtures.stanford, () => false);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(Buffer.byteLength(header)));
  const path = join(dir, 'bad.safetensors');
  writeFileSync(path, Buffer.concat([len, Buffer.from(header), Buffer.alloc(dataBytes)]));
  return path;
}

describe('safetensors reader', () => {
  it('reads the fixture checkpoints (f32 and f16)', async () => {
    const st = await SafetensorsFile.open(join(fixtures.stanford, 'model.safetensors'), nodeFiles);
    expect(st.info('linear.weight').shape).toEqual([24, 32]);
    expect((await st.readFloat32('linear.weight')).length).toBe(24 * 32);
    const f16 = await SafetensorsFile.open(join(fixtures.dense, 'model.safetensors'), nodeFiles);
    const name = f16.names().find((n) => n.endsWith('word_embeddings.weight'))!;
    expect(f16.info(name).dtype).toBe('F16');
    const w = await f16.readFloat32(name);
    expect(w.length).toBe(30522 * 32);
    expect(w.every((x) => Number.isFinite(x))).toBe(true);
  });

  it('round-trips what it writes', async () => {
    const dir = copyFixture(fixtures.stanford, () => false);
    const data = Float32Array.from([1, -2.5, 3, 0.125, 7, 8]);
    writeFileSync(
      join(dir, 'x.safetensors'),
      encodeSafetensors({ a: { dtype: 'F32', shape: [2, 3], data } }, { note: 'hi' }),
    );
    const st = await SafetensorsFile.open(join(dir, 'x.safetensors'), nodeFiles);
    expect(st.metadata.note).toBe('hi');
    expect([...(await st.readFloat32('a'))]).toEqual([...data]);
  });

  it('decodes half and bfloat16 exactly', () => {
    expect(halfToFloat(0x3c00)).toBe(1);
    expect(halfToFloat(0xc000)).toBe(-2);
    expect(halfToFloat(0x0001)).toBe(2 ** -24);
    expect(halfToFloat(0x7c00)).toBe(Infinity);
    expect([...decodeBF16(Uint8Array.from([0x80, 0x3f, 0x00, 0xc0]), 2)]).toEqual([1, -2]);
  });

  it('rejects a header longer than the file, naming the file', async () => {
    const path = fileWithHeader('{}');
    const buf = readFileSync(path);
    buf.writeBigUInt64LE(10_000n, 0);
    writeFileSync(path, buf);
    const e = await errorOf(SafetensorsFile.open(path, nodeFiles));
    expect(e.code).toBe('CORRUPT_FILE');
    expect(e.message).toContain(path);
    expect(e.message).toMatch(/runs past the end/);
  });

  it('rejects an absurd header size', async () => {
    const path = fileWithHeader('{}');
    const buf = readFileSync(path);
    buf.writeBigUInt64LE(2n ** 40n, 0);
    writeFileSync(path, buf);
    expect((await errorOf(SafetensorsFile.open(path, nodeFiles))).message).toMatch(/exceeds/);
  });

  it('rejects offsets outside the data section, naming the tensor field', async () => {
    const path = fileWithHeader(JSON.stringify({ w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }), 4);
    const e = await errorOf(SafetensorsFile.open(path, nodeFiles));
    expect(e.message).toMatch(/"w" data_offsets \[0, 8\] fall outside/);
    expect(e.details?.field).toBe('w.data_offsets');
  });

  it('rejects a size that does not match the shape, unknown dtypes and bad JSON', async () => {
    expect(
      (
        await errorOf(
          SafetensorsFile.open(
            fileWithHeader(JSON.stringify({ w: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }), 8),
            nodeFiles,
          ),
        )
      ).message,
    ).toMatch(/needs 12/);
    expect(
      (
        await errorOf(
          SafetensorsFile.open(
            fileWithHeader(JSON.stringify({ w: { dtype: 'Q4', shape: [1], data_offsets: [0, 1] } }), 1),
            nodeFiles,
          ),
        )
      ).message,
    ).toMatch(/unknown dtype "Q4"/);
    // A name Object.prototype holds is no dtype either.
    expect(
      (
        await errorOf(
          SafetensorsFile.open(
            fileWithHeader(JSON.stringify({ w: { dtype: 'toString', shape: [1], data_offsets: [0, 1] } }), 1),
            nodeFiles,
          ),
        )
      ).message,
    ).toMatch(/unknown dtype "toString"/);
    expect((await errorOf(SafetensorsFile.open(fileWithHeader('{"w": ', 0), nodeFiles))).message).toMatch(
      /not valid JSON/,
    );
    expect((await errorOf(SafetensorsFile.open('/nonexistent/model.safetensors', nodeFiles))).code).toBe(
      'MODEL_NOT_FOUND',
    );
  });

  it('refuses to decode integer tensors as weights', async () => {
    const path = fileWithHeader(JSON.stringify({ w: { dtype: 'I64', shape: [1], data_offsets: [0, 8] } }), 8);
    const st = await SafetensorsFile.open(path, nodeFiles);
    expect((await errorOf(st.readFloat32('w'))).message).toMatch(/only F32, F16 and BF16/);
  });
});
