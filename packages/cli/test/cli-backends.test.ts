import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { readGolden, type ColbertGolden } from '@tessera/core/conformance';
import { fixtures } from '@tessera/fixtures';
import { CLI, jsonLines, runCli } from './run-cli.js';

const run = runCli;

const lines = jsonLines;

describe('every installed backend', () => {
  const b = spawnSync(process.execPath, [CLI, 'backends', '--json'], { encoding: 'utf8' });
  const installed = (
    JSON.parse(b.stdout) as Array<{
      name: string;
      installed: boolean;
      devices?: Array<{ id: string; available: boolean }>;
    }>
  )
    .filter((x) => x.installed && x.devices?.some((d) => d.id === 'cpu' && d.available))
    .map((x) => x.name);

  it('finds the ONNX backend and, where libtorch is installed, the native one', () => {
    expect(installed).toContain('onnx');
    if (process.env.CI) expect(installed).toContain('native');
  });

  for (const name of ['onnx', 'native', 'tfjs']) {
    for (const [layout, dir] of [
      ['stanford', fixtures.stanford],
      ['pylate', fixtures.pylate],
      ['ModernBERT PyLate', fixtures.modernbert],
      ['XLM-RoBERTa multi-vector', fixtures.xlmr],
    ] as const) {
      it.runIf(installed.includes(name))(
        `encode --backend ${name} matches the reference on the ${layout} layout`,
        () => {
          const golden = readGolden<ColbertGolden>(dir);
          const r = run([
            'encode',
            '--model',
            dir,
            '--backend',
            name,
            '--device',
            'cpu',
            '--as',
            'query',
            '--quiet',
            golden.queries[0]!.text,
          ]);
          expect(r.stderr).toBe('');
          const out = lines(r.stdout);
          expect(out.length).toBe(1);
          const rows = out[0]!.embeddings as number[][];
          expect(rows.length).toBe(golden.queries[0]!.embeddings.length);
          rows.forEach((row, k) =>
            row.forEach((v, j) => expect(Math.abs(v - golden.queries[0]!.embeddings[k]![j]!)).toBeLessThan(1e-4)),
          );
          const s = run([
            'score',
            '--model',
            dir,
            '--backend',
            name,
            '--device',
            'cpu',
            '--json',
            '--query',
            golden.queries[1]!.text,
            golden.documents[2]!.text,
          ]);
          expect(JSON.parse(s.stdout).scores[0].score).toBeCloseTo(golden.maxsim[1]![2]!, 3);
        },
      );
    }
  }
});
