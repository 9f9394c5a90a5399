import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { assertProperty } from '@tessera/fixtures/property';
import { describe, expect, it } from 'vitest';
import { fixtures } from '@tessera/fixtures';
import {
  HfTextTokenizer,
  TesseraError,
  decodeNpy,
  encodeNpy,
  encodeSafetensors,
  loadModelSpec,
  type TensorToWrite,
} from '../src/index.js';
import { SafetensorsFile, readEncoderWeights } from '../src/backend-kit.js';
import { nodeFiles } from '../src/io/node-files.js';

/**
 * Every parser of untrusted input either returns a valid result or throws a TesseraError that
 * names the file: no other exception, no hang, no allocation past what the file's size implies.
 */
const dir = mkdtempSync(join(tmpdir(), 'tessera-untrusted-'));
let n = 0;
const file = (bytes: Uint8Array, name = 'x.safetensors') => {
  const p = join(dir, `${n++}-${name}`);
  writeFileSync(p, bytes);
  return p;
};

/** Runs `fn`; a thrown error must be a TesseraError whose message names `path`. */
async function resultOrNamedError<T>(path: string, fn: () => Promise<T> | T): Promise<T | TesseraError> {
  try {
    return await fn();
  } catch (e) {
    if (!(e instanceof TesseraError))
      throw new Error(
        `${path}: threw ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}, not a TesseraError`,
      );
    if (!e.message.includes(path)) throw new Error(`the error does not name the file ${path}: ${e.message}`);
    return e;
  }
}

const tensorArb = fc.record({
  dtype: fc.constantFrom('F32', 'I32', 'I8', 'U8'),
  shape: fc.array(fc.integer({ min: 0, max: 5 }), { maxLength: 3 }),
  seed: fc.integer(),
});

function tensorOf(t: { dtype: string; shape: number[]; seed: number }): TensorToWrite {
  const count = t.shape.reduce((a, b) => a * b, 1);
  let s = t.seed;
  const next = () => (s = (Math.imul(s, 1103515245) + 12345) | 0);
  const data =
    t.dtype === 'F32'
      ? Float32Array.from({ length: count }, () => next() / 2 ** 31)
      : t.dtype === 'I32'
        ? Int32Array.from({ length: count }, next)
        : t.dtype === 'I8'
          ? Int8Array.from({ length: count }, next)
          : Uint8Array.from({ length: count }, next);
  return { dtype: t.dtype as TensorToWrite['dtype'], shape: t.shape, data };
}

/** A key Object.prototype holds, read as a plain key. */
const PROTO = '__proto__';

describe('safetensors', () => {
  it('reads back what encodeSafetensors writes (names, dtypes, shapes, bytes, metadata)', async () => {
    await assertProperty(
      fc.asyncProperty(
        fc.dictionary(
          fc.string({ minLength: 1, maxLength: 12 }).filter((k) => k !== '__metadata__'),
          tensorArb,
          { maxKeys: 5 },
        ),
        fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 20 }), { maxKeys: 3 }),
        async (spec, meta) => {
          const tensors = Object.fromEntries(Object.entries(spec).map(([k, t]) => [k, tensorOf(t)]));
          const f = await SafetensorsFile.open(file(encodeSafetensors(tensors, meta)), nodeFiles);
          expect(f.names().sort()).toEqual(Object.keys(tensors).sort());
          expect(f.metadata).toEqual(meta);
          for (const [k, t] of Object.entries(tensors)) {
            expect(f.info(k).dtype).toBe(t.dtype);
            expect(f.info(k).shape).toEqual(t.shape);
            const bytes = await f.readBytes(k);
            expect(Buffer.from(bytes).equals(Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength))).toBe(
              true,
            );
          }
        },
      ),
      { minRuns: 30, maxRuns: 150, seconds: 5 },
    );
  });

  it('keeps a tensor named __proto__ (found by the property above: it was dropped from the header)', async () => {
    const tensors = Object.fromEntries([
      ['__proto__', tensorOf({ dtype: 'F32', shape: [2], seed: 1 })],
      ['w', tensorOf({ dtype: 'I8', shape: [3], seed: 2 })],
    ]);
    const f = await SafetensorsFile.open(file(encodeSafetensors(tensors)), nodeFiles);
    expect(f.names().sort()).toEqual(['__proto__', 'w']);
    expect(Buffer.from(await f.readBytes('__proto__')).equals(Buffer.from(tensors[PROTO]!.data.buffer))).toBe(true);
    expect(f.info('w').shape).toEqual([3]);
  });

  it('opens random bytes, or refuses them with a TesseraError naming the file', async () => {
    await assertProperty(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 300 }),
        fc.option(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n })),
        async (bytes, len) => {
          const b = Buffer.from(bytes);
          if (len !== null && b.length >= 8) b.writeBigUInt64LE(len, 0);
          const p = file(b);
          await resultOrNamedError(p, async () => {
            const f = await SafetensorsFile.open(p, nodeFiles);
            for (const name of f.names()) await f.readBytes(name);
          });
        },
      ),
      { minRuns: 60, maxRuns: 300, seconds: 5 },
    );
  });

  it('reads a valid file with bytes changed or cut off, or refuses it with a TesseraError naming the file', async () => {
    const valid = encodeSafetensors(
      { a: tensorOf({ dtype: 'F32', shape: [3, 4], seed: 1 }), b: tensorOf({ dtype: 'I8', shape: [7], seed: 2 }) },
      { model: 'x' },
    );
    await assertProperty(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
        fc.option(fc.nat(valid.length)),
        async (edits, cut) => {
          const b = Buffer.from(valid);
          for (const [i, v] of edits) b[i] = v;
          const p = file(cut === null ? b : b.subarray(0, cut));
          await resultOrNamedError(p, async () => {
            const f = await SafetensorsFile.open(p, nodeFiles);
            for (const name of f.names()) {
              const info = f.info(name);
              const bytes = await f.readBytes(name);
              // What is read is what the header promised, and never more than the file holds.
              expect(bytes.length).toBe(info.end - info.begin);
              expect(bytes.length).toBeLessThanOrEqual(b.length);
            }
          });
        },
      ),
      { minRuns: 60, maxRuns: 300, seconds: 5 },
    );
  });

  it('validates any JSON header: dtypes, shapes and offsets inside the data section', async () => {
    const entry = fc.record(
      {
        dtype: fc.oneof(fc.constantFrom('F32', 'F16', 'BF16', 'I8', 'Q4'), fc.jsonValue()),
        shape: fc.oneof(fc.array(fc.integer({ min: -2, max: 2 ** 40 }), { maxLength: 3 }), fc.jsonValue()),
        data_offsets: fc.oneof(fc.tuple(fc.nat(200), fc.nat(200)), fc.jsonValue()),
      },
      { requiredKeys: [] },
    );
    await assertProperty(
      fc.asyncProperty(
        fc.dictionary(fc.string({ maxLength: 6 }), fc.oneof(entry, fc.jsonValue()), { maxKeys: 4 }),
        fc.nat(200),
        async (header, dataLen) => {
          const p = 'header.safetensors';
          const got = await resultOrNamedError(p, () =>
            SafetensorsFile.fromHeader(p, JSON.stringify(header), 8, 8 + dataLen, nodeFiles),
          );
          if (got instanceof SafetensorsFile)
            for (const name of got.names()) expect(got.info(name).end).toBeLessThanOrEqual(dataLen);
        },
      ),
      { minRuns: 100, maxRuns: 500, seconds: 5 },
    );
  });
});

describe('.npy', () => {
  it('reads back what encodeNpy writes, and refuses changed bytes with a TesseraError naming the file', async () => {
    await assertProperty(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 3 }),
        fc.constantFrom('f4', 'i1', 'u1'),
        fc.array(fc.tuple(fc.nat(200), fc.integer({ min: 0, max: 255 })), { maxLength: 3 }),
        (shape, kind, edits) => {
          const count = shape.reduce((a, b) => a * b, 1);
          const data =
            kind === 'f4'
              ? Float32Array.from({ length: count }, (_, i) => i / 3 - 1)
              : kind === 'i1'
                ? Int8Array.from({ length: count }, (_, i) => i - 64)
                : Uint8Array.from({ length: count }, (_, i) => i);
          const bytes = encodeNpy(data, shape);
          const back = decodeNpy(bytes, 'a.npy');
          expect(back.shape).toEqual(shape);
          expect(Array.from(back.data)).toEqual(Array.from(data));
          const b = Buffer.from(bytes);
          for (const [i, v] of edits) if (i < b.length) b[i] = v;
          const r = (() => {
            try {
              return decodeNpy(b, 'b.npy');
            } catch (e) {
              expect(e).toBeInstanceOf(TesseraError);
              expect((e as Error).message).toContain('b.npy');
              return undefined;
            }
          })();
          if (r) expect(r.data.byteLength).toBeLessThanOrEqual(b.length);
        },
      ),
      { minRuns: 60, maxRuns: 300, seconds: 5 },
    );
  });
});

describe('model folders', () => {
  const folder = () => {
    const d = mkdtempSync(join(dir, 'model-'));
    cpSync(fixtures.stanford, d, { recursive: true });
    return d;
  };
  const load = async (d: string) => {
    const spec = await loadModelSpec(d);
    await readEncoderWeights(spec, 'test');
    await HfTextTokenizer.fromFolder(nodeFiles, spec.transformerDir);
  };

  it('loads a config.json with any field changed to any JSON value, or refuses it with a TesseraError naming a file', async () => {
    const d = folder();
    const original = JSON.parse(readFileSync(join(d, 'config.json'), 'utf8')) as Record<string, unknown>;
    const keys = Object.keys(original);
    await assertProperty(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.constantFrom(...keys, 'extra'), fc.jsonValue({ maxDepth: 3 })), {
          minLength: 1,
          maxLength: 3,
        }),
        async (edits) => {
          const cfg = { ...original };
          for (const [k, v] of edits) cfg[k] = v;
          writeFileSync(join(d, 'config.json'), JSON.stringify(cfg));
          try {
            await load(d);
          } catch (e) {
            if (!(e instanceof TesseraError))
              throw new Error(
                `config ${JSON.stringify(edits)}: threw ${(e as Error).constructor.name}: ${(e as Error).message}`,
              );
            expect(e.message).toContain(d);
          }
        },
      ),
      { minRuns: 24, maxRuns: 120, seconds: 5 },
    );
  });

  it('loads a tokenizer.json cut short or with a part replaced, or refuses it with a TesseraError naming the file', async () => {
    const d = folder();
    const text = readFileSync(join(d, 'tokenizer.json'), 'utf8');
    const original = JSON.parse(text) as Record<string, unknown>;
    await assertProperty(
      fc.asyncProperty(
        fc.oneof(
          fc.nat(text.length).map((cut) => text.slice(0, cut)),
          fc
            .tuple(fc.constantFrom(...Object.keys(original)), fc.jsonValue({ maxDepth: 4 }))
            .map(([k, v]) => JSON.stringify({ ...original, [k]: v })),
        ),
        async (content) => {
          writeFileSync(join(d, 'tokenizer.json'), content);
          try {
            await HfTextTokenizer.fromFolder(nodeFiles, d);
          } catch (e) {
            if (!(e instanceof TesseraError))
              throw new Error(`tokenizer.json: threw ${(e as Error).constructor.name}: ${(e as Error).message}`);
            expect(e.message).toContain(d);
          }
        },
      ),
      { minRuns: 20, maxRuns: 80, seconds: 5 },
    );
  });

  it('refuses absurd sizes in config.json before anything is sized by them', async () => {
    for (const [key, value] of [
      ['hidden_size', 1e9],
      ['num_hidden_layers', 1e6],
      ['max_position_embeddings', 1e12],
      ['vocab_size', 1e15],
      ['intermediate_size', -5],
    ] as const) {
      const d = folder();
      const cfg = JSON.parse(readFileSync(join(d, 'config.json'), 'utf8')) as Record<string, unknown>;
      cfg[key] = value;
      writeFileSync(join(d, 'config.json'), JSON.stringify(cfg));
      await expect(loadModelSpec(d)).rejects.toThrow(
        new RegExp(`config\\.json: "${key}" is ${value}; expected an integer from 0 to \\d+`),
      );
    }
  });

  it('refuses a deeply nested or oversized tokenizer.json and a huge vocabulary with a clear error', async () => {
    const d = folder();
    writeFileSync(join(d, 'tokenizer.json'), `${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`);
    await expect(HfTextTokenizer.fromFolder(nodeFiles, d)).rejects.toThrow(
      /tokenizer\.json: nested deeper than 64 levels/,
    );
    const vocab: Record<string, number> = {};
    for (let i = 0; i < 2 ** 20 + 1; i++) vocab[`t${i}`] = i;
    writeFileSync(join(d, 'tokenizer.json'), JSON.stringify({ model: { type: 'WordPiece', vocab } }));
    await expect(HfTextTokenizer.fromFolder(nodeFiles, d)).rejects.toThrow(/a vocabulary of 1048577 entries/);
  });

  it('refuses symlinks that leave the model folder, and keeps those of a Hugging Face cache snapshot', async () => {
    const d = folder();
    const outside = join(dir, 'secret.json');
    writeFileSync(outside, '{}');
    rmSync(join(d, 'tokenizer_config.json'));
    symlinkSync(outside, join(d, 'tokenizer_config.json'));
    await expect(loadModelSpec(d)).rejects.toThrow(
      /tokenizer_config\.json links to .*secret\.json, outside the model folder/,
    );
    // models--org--name/snapshots/<rev>/file -> ../../blobs/<sha>: inside the repository folder.
    const repo = join(dir, 'hub', 'models--org--name');
    const snap = join(repo, 'snapshots', 'abc');
    cpSync(fixtures.stanford, snap, { recursive: true });
    cpSync(join(snap, 'config.json'), join(repo, 'blobs', 'sha1'), { recursive: true });
    rmSync(join(snap, 'config.json'));
    symlinkSync(join('..', '..', 'blobs', 'sha1'), join(snap, 'config.json'));
    await expect(loadModelSpec(snap)).resolves.toBeTruthy();
  });
});
