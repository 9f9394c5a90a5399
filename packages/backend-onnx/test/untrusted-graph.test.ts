import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { assertProperty } from '@tessera/fixtures/property';
import { describe, expect, it } from 'vitest';
import { TesseraError } from '@tessera/core';
import { fixtures } from '@tessera/fixtures';
import { readGraphInfoOf } from '../src/index.js';

/** The ONNX graph reader returns a signature or a CORRUPT_FILE TesseraError naming the file; nothing else. */
function check(bytes: Uint8Array) {
  try {
    const info = readGraphInfoOf(bytes, 'model.onnx');
    for (const v of [...info.inputs, ...info.outputs]) expect(typeof v.name).toBe('string');
  } catch (e) {
    if (!(e instanceof TesseraError))
      throw new Error(`threw ${(e as Error).constructor.name}: ${(e as Error).message}`);
    expect(e.code).toBe('CORRUPT_FILE');
    expect(e.message).toMatch(/^model\.onnx: not a readable ONNX model/);
  }
}

describe('the ONNX graph reader on untrusted bytes', () => {
  const real = new Uint8Array(readFileSync(join(fixtures.pylate, 'onnx', 'model.onnx')));

  it('reads the real graph', () => {
    expect(readGraphInfoOf(real, 'model.onnx').inputs.map((i) => i.name)).toContain('input_ids');
  });

  it('answers random bytes', async () => {
    await assertProperty(fc.property(fc.uint8Array({ maxLength: 2000 }), check), {
      minRuns: 200,
      maxRuns: 1000,
      seconds: 5,
    });
  });

  it('answers the real graph with bytes changed or cut off', async () => {
    await assertProperty(
      fc.property(
        fc.array(fc.tuple(fc.nat(real.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
        fc.option(fc.nat(real.length)),
        (edits, cut) => {
          const b = real.slice(0, cut ?? real.length);
          for (const [i, v] of edits) if (i < b.length) b[i] = v;
          check(b);
        },
      ),
      { minRuns: 60, maxRuns: 300, seconds: 5 },
    );
  });
});
