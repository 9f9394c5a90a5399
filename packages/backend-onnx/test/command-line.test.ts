import { spawnSync } from 'node:child_process';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { fixtures } from '@tessera/fixtures';
import { CMDLINE_LIMIT, checkCommandLine } from '../src/command-line.js';

describe('a long command line (onnxruntime crashes reading /proc/self/cmdline)', () => {
  it('is refused with a TesseraError before a session is created, not a segmentation fault', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-cmdline-'));
    const script = join(dir, 'load.mjs');
    const core = fileURLToPath(new URL('../../core/dist/index.js', import.meta.url));
    const onnx = fileURLToPath(new URL('../dist/index.js', import.meta.url));
    writeFileSync(
      script,
      `import { Tessera } from '${core}';\nimport { backend } from '${onnx}';\ntry { await Tessera.create({ ` +
        `model: process.argv[2], backend }); console.log('loaded'); } catch (e) { ` +
        `console.log(JSON.stringify({ code: e.code, message: e.message })); }\n`,
    );
    const r = spawnSync(process.execPath, [script, fixtures.pylate, 'x'.repeat(40 * 1024)], {
      encoding: 'utf8',
      timeout: 600_000,
    });
    expect(r.signal).toBe(null);
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout) as { code: string; message: string };
    expect(out.code).toBe('BACKEND_FAILED');
    expect(out.message).toMatch(/command line is \d+ bytes; onnxruntime-node crashes \(segmentation fault\)/);
  });

  it('lets a normal command line through', () => {
    expect(() => checkCommandLine(() => Buffer.alloc(CMDLINE_LIMIT))).not.toThrow();
    expect(() => checkCommandLine(() => Buffer.alloc(CMDLINE_LIMIT + 1))).toThrow(/command line is 24577 bytes/);
    expect(() => checkCommandLine(() => undefined)).not.toThrow();
  });
});

describe('transformers.js dtype names', () => {
  it('picks onnx/model_<dtype>.onnx for uint8, q4, q4f16 and bnb4, and names what is missing', async () => {
    const { chooseGraph } = await import('../src/index.js');
    const spec = {
      dir: '/m',
      transformerDir: '/m',
      onnxFiles: [
        'onnx/model.onnx',
        'onnx/model_uint8.onnx',
        'onnx/model_q4.onnx',
        'onnx/model_q4f16.onnx',
        'onnx/model_bnb4.onnx',
      ],
    } as never;
    for (const dtype of ['uint8', 'q4', 'q4f16', 'bnb4'])
      expect(chooseGraph(spec, { device: 'cpu', dtype } as never)).toBe(`onnx/model_${dtype}.onnx`);
    expect(() =>
      chooseGraph(
        { dir: '/m', transformerDir: '/m', onnxFiles: ['onnx/model.onnx'] } as never,
        { device: 'cpu', dtype: 'q4' } as never,
      ),
    ).toThrow(/no ONNX graph for dtype q4 \(looked for onnx\/model_q4\.onnx/);
  });
});
