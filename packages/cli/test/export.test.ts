import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { fixtures } from '@tessera/fixtures';

const CLI = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'tessera-cli-export-'));
const env = { ...process.env, TESSERA_CACHE: join(root, 'cache') };
const run = (args: string[]) =>
  spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env, timeout: 300_000 });

/** A Stanford checkpoint as colbertv2.0 ships it: safetensors weights, no ONNX graph. */
function stanfordWithoutGraph(): string {
  const dir = join(root, 'colbertv2-like');
  cpSync(fixtures.stanford, dir, { recursive: true, filter: (src) => basename(src) !== 'onnx' });
  return dir;
}

describe('tessera export', () => {
  it('exports into the cache the ONNX backend loads from: encode then finds the graph without exporting', () => {
    const dir = stanfordWithoutGraph();
    const r = run(['export', '--model', dir, '--dtype', 'q8']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      /^exported .*colbert.*\(bert, q8, opset 17\) in \d+\.\d s: .*model_quantized\.onnx \(\d+\.\d MB\)\n$/,
    );
    expect(r.stderr).toMatch(/reading .*model\.safetensors\n.*building the bert graph \(q8\)\n.*writing /);
    const file = /: (\S+model_quantized\.onnx)/.exec(r.stdout)![1]!;
    expect(file.startsWith(join(root, 'cache'))).toBe(true);

    const encoded = run(['encode', '--model', dir, '--backend', 'onnx', '--dtype', 'q8', 'a passage about ships']);
    expect(encoded.status, encoded.stderr).toBe(0);
    expect(encoded.stderr).not.toMatch(/exported one/);
    expect(JSON.parse(encoded.stdout.trim().split('\n')[0]!).tokens).toBeGreaterThan(0);
    // fp32 was not exported ahead: the first encode exports it and says so.
    const first = run(['encode', '--model', dir, '--backend', 'onnx', 'a passage about ships']);
    expect(first.status, first.stderr).toBe(0);
    expect(first.stderr).toMatch(
      /has no ONNX graph for dtype fp32: exported one from its safetensors weights in \d+\.\d s/,
    );
  });

  it('--to with --projection writes one graph to the normalized rows, with export.json; --json prints the result', () => {
    const out = join(root, 'one-graph');
    const r = run([
      'export',
      '--model',
      fixtures.modernbert,
      '--to',
      out,
      '--projection',
      '--opset',
      '18',
      '--json',
      '-q',
    ]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const result = JSON.parse(r.stdout);
    expect(result).toMatchObject({ file: join(out, 'model.onnx'), opset: 18, projection: true, output: 'embeddings' });
    expect(JSON.parse(readFileSync(join(out, 'export.json'), 'utf8')).modelType).toBe('modernbert');
  });

  it("refuses a folder holding another model's export and bad options: exit 2, naming the way out", () => {
    const out = join(root, 'taken');
    expect(run(['export', '--model', fixtures.distilbert, '--to', out, '-q']).status).toBe(0);
    const r = run(['export', '--model', fixtures.roberta, '--to', out, '-q']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/holds an export of another model .*--force/);
    expect(run(['export', '--model', fixtures.roberta, '--to', out, '-q', '--force']).status).toBe(0);

    const dtype = run(['export', '--model', fixtures.roberta, '--dtype', 'int4']);
    expect(dtype.status).toBe(2);
    expect(dtype.stderr).toMatch(/--dtype must be one of fp32, q8, fp16 \(got "int4"\)/);
    const projection = run(['export', '--model', fixtures.roberta, '--projection']);
    expect(projection.status).toBe(2);
    expect(projection.stderr).toMatch(/--projection needs --to/);
    const opset = run(['export', '--model', fixtures.roberta, '--to', join(root, 'o'), '--opset', '11']);
    expect(opset.status).toBe(2);
    expect(opset.stderr).toMatch(/opset 11 is not one Tessera exports \(17 to 21/);
    expect(existsSync(join(root, 'o'))).toBe(false);
  });
});
