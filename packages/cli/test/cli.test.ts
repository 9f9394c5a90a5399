import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SafetensorsFile } from '@tessera/core/backend';
import { readGolden, type ColbertGolden, type DenseGolden } from '@tessera/core/conformance';
import { fixtures } from '@tessera/fixtures';
import { jsonLines, runCli } from './run-cli.js';
import { nodeFiles } from '@tessera/core/backend';

const tmp = () => mkdtempSync(join(tmpdir(), 'tessera-cli-'));

const run = runCli;

const lines = jsonLines;

describe('tessera encode', () => {
  for (const [layout, dir] of [
    ['stanford', fixtures.stanford],
    ['pylate', fixtures.pylate],
  ] as const) {
    it(`writes NDJSON matching the reference on the ${layout} layout`, () => {
      const golden = readGolden<ColbertGolden>(dir);
      const texts = golden.documents.slice(0, 3).map((d) => d.text);
      const r = run(['encode', '--model', dir, '--backend', 'onnx', '--quiet', ...texts]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const out = lines(r.stdout);
      expect(out.map((o) => o.index)).toEqual([0, 1, 2]);
      out.forEach((o, i) => {
        const rows = o.embeddings as number[][];
        expect(o.dim).toBe(golden.dim);
        expect(o.tokens).toBe(golden.documents[i]!.input_ids.length);
        expect(rows.length).toBe(golden.documents[i]!.embeddings.length);
        rows.forEach((row, k) =>
          row.forEach((v, j) => expect(Math.abs(v - golden.documents[i]!.embeddings[k]![j]!)).toBeLessThan(1e-4)),
        );
      });
    });
  }

  it('encodes queries from stdin JSONL, keeping ids and order', () => {
    const input = ['{"id": "a", "text": "what is colbert?"}', '', '{"id": 7, "text": ""}'].join('\n');
    const r = run(['encode', '--model', fixtures.stanford, '--as', 'query', '--input', '-', '--quiet'], input);
    expect(r.code).toBe(0);
    const out = lines(r.stdout);
    expect(out.map((o) => [o.index, o.id, (o.embeddings as unknown[]).length])).toEqual([
      [0, 'a', 32],
      [1, 7, 32],
    ]);
  });

  it('encodes a dense model and writes .npy and .safetensors files', () => {
    const d = tmp();
    const golden = readGolden<DenseGolden>(fixtures.dense);
    const texts = golden.texts.slice(0, 3).map((x) => x.text);
    const r = run(['encode', '--model', fixtures.dense, '--output', join(d, 'dense.npy'), '--quiet', ...texts]);
    expect(r.code).toBe(0);
    const npy = readFileSync(join(d, 'dense.npy'));
    expect(npy.subarray(1, 6).toString('latin1')).toBe('NUMPY');
    expect(npy.toString('latin1', 10, 80)).toContain("'shape': (3, 32)");
    expect(existsSync(join(d, 'dense.npy.partial'))).toBe(false);
  });

  it('writes variable-length document rows to .safetensors with offsets', async () => {
    const d = tmp();
    const out = join(d, 'docs.safetensors');
    const r = run([
      'encode',
      '--model',
      fixtures.pylate,
      '--output',
      out,
      '--quiet',
      'short',
      'a somewhat longer document text',
    ]);
    expect(r.code).toBe(0);
    const st = await SafetensorsFile.open(out, nodeFiles);
    const offsets = new Int32Array((await st.readBytes('offsets')).slice().buffer);
    expect(offsets.length).toBe(3);
    expect(st.info('embeddings').shape).toEqual([offsets[2], 16]);
    expect(st.metadata.role).toBe('document');
  });

  it('quantizes to binary: ceil(dim/8) bytes a row', () => {
    const r = run(['encode', '--model', fixtures.stanford, '--quantize', 'binary', '--quiet', 'hello world']);
    expect(r.code).toBe(0);
    const [o] = lines(r.stdout);
    expect(o!.quantization).toBe('binary');
    expect((o!.embeddings as number[][])[0]!.length).toBe(3);
  });

  it('refuses .npy for documents of different lengths with a hint', () => {
    const r = run([
      'encode',
      '--model',
      fixtures.stanford,
      '--output',
      join(tmp(), 'x.npy'),
      'a',
      'a longer text here',
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/different numbers of rows/);
    expect(r.stderr).toMatch(/hint: use \.safetensors/);
  });
});

describe('bad input', () => {
  it('reports a bad JSONL line with its line number and writes nothing', () => {
    const d = tmp();
    const input = join(d, 'in.jsonl');
    writeFileSync(input, '{"text": "ok"}\n{"text": 5}\n{bad json\n');
    const out = join(d, 'out.jsonl');
    const r = run(['encode', '--model', fixtures.stanford, '--input', input, '--output', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/in\.jsonl:2: "text" must be a string, got number \(and 1 more bad lines\)/);
    expect(r.stderr).toMatch(/--skip-invalid/);
    expect(existsSync(out)).toBe(false);
  });

  it('skips bad lines with --skip-invalid and says how many', () => {
    const d = tmp();
    const input = join(d, 'in.jsonl');
    writeFileSync(input, '{"text": "ok"}\n{"nope": 1}\n{"text": "fine", "id": "x"}\n');
    const r = run(['encode', '--model', fixtures.stanford, '--input', input, '--skip-invalid']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/skipped line 2: missing "text" field/);
    expect(r.stderr).toMatch(/skipped 1 invalid line/);
    expect(lines(r.stdout).map((o) => o.id ?? null)).toEqual([null, 'x']);
  });

  it('gives usage errors exit code 2 with a hint', () => {
    const unknown = run(['encode', '--frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown option '--frobnicate'/);
    expect(unknown.stderr).toMatch(/hint: see `tessera encode --help`/);
    const bad = run(['encode', '--model', fixtures.stanford, '--as', 'both', 'x']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--as must be one of query, document/);
    expect(run(['encode', '--batch-size', '0', 'x']).stderr).toMatch(/--batch-size must be an integer >= 1/);
    expect(run(['frob']).code).toBe(2);
    expect(run(['encode', '--input', '/nope/in.txt']).stderr).toMatch(
      /cannot read --input \/nope\/in\.txt: no such file/,
    );
  });

  it('gives runtime errors exit code 1 without a stack trace', () => {
    const r = run(['encode', '--model', '/no/such/model', 'x']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/model folder \/no\/such\/model does not exist/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    const missing = run(['encode', '--model', fixtures.stanford, '--backend', 'tfjs-nope', 'x']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/unknown backend "tfjs-nope"/);
    const dim = run(['encode', '--model', fixtures.stanford, '--dim', '25', 'x']);
    expect(dim.code).toBe(1);
    expect(dim.stderr).toMatch(/dimension 25 is not supported by .*colbert-stanford; it must be at most 24/);
    const debug = run(['encode', '--model', '/no/such/model', '--debug', 'x']);
    expect(debug.stderr).toMatch(/\n\s+at /);
  });

  it('takes --dim for a local folder: rows of that width, renormalized', () => {
    const r = run(['encode', '--model', fixtures.stanford, '--dim', '8', '--quiet', 'hello world']);
    expect(r.code).toBe(0);
    const [o] = lines(r.stdout);
    const rows = o!.embeddings as number[][];
    expect(o!.dim).toBe(8);
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) {
      expect(row.length).toBe(8);
      expect(Math.abs(Math.hypot(...row) - 1)).toBeLessThan(1e-5);
    }
  });

  it('resumes an interrupted --output .jsonl run', () => {
    const d = tmp();
    const out = join(d, 'out.jsonl');
    const input = join(d, 'in.txt');
    writeFileSync(input, 'one\ntwo\nthree\nfour\n');
    const full = run(['encode', '--model', fixtures.stanford, '--input', input, '--quiet']);
    const all = full.stdout.trim().split('\n');
    // Simulate a crash after two results and half a line.
    writeFileSync(`${out}.partial`, `${all[0]}\n${all[1]}\n${all[2]!.slice(0, 20)}`);
    const r = run(['encode', '--model', fixtures.stanford, '--input', input, '--output', out, '--resume', '--quiet']);
    expect(r.code).toBe(0);
    expect(readFileSync(out, 'utf8').trim().split('\n')).toEqual(all);
    expect(existsSync(`${out}.partial`)).toBe(false);
  });
});

describe('tessera score, rerank, models, backends, pull', () => {
  it('scores documents against a query like the reference MaxSim', () => {
    const golden = readGolden<ColbertGolden>(fixtures.stanford);
    const r = run([
      'score',
      '--model',
      fixtures.stanford,
      '--json',
      '--query',
      golden.queries[0]!.text,
      golden.documents[0]!.text,
      golden.documents[2]!.text,
    ]);
    expect(r.code).toBe(0);
    const o = JSON.parse(r.stdout) as { scores: Array<{ score: number }> };
    expect(o.scores[0]!.score).toBeCloseTo(golden.maxsim[0]![0]!, 3);
    expect(o.scores[1]!.score).toBeCloseTo(golden.maxsim[0]![2]!, 3);
    const tableOut = run(['score', '--model', fixtures.stanford, '--query', 'x', 'doc a']);
    expect(tableOut.stdout).toMatch(/#\s+score\s+document/);
  });

  it('reranks a JSONL file and prints the top k', () => {
    const golden = readGolden<ColbertGolden>(fixtures.pylate);
    const d = tmp();
    const input = join(d, 'docs.jsonl');
    writeFileSync(input, golden.documents.map((x, i) => JSON.stringify({ id: `d${i}`, text: x.text })).join('\n'));
    const r = run([
      'rerank',
      '--model',
      fixtures.pylate,
      '--query',
      golden.queries[2]!.text,
      '--input',
      input,
      '--top-k',
      '3',
      '--json',
    ]);
    expect(r.code).toBe(0);
    const o = JSON.parse(r.stdout) as { results: Array<{ id: string; score: number; rank: number }> };
    const expected = golden.maxsim[2]!.map((s, i) => ({ s, i }))
      .sort((a, b) => b.s - a.s)
      .slice(0, 3)
      .map((x) => `d${x.i}`);
    expect(o.results.map((x) => x.id)).toEqual(expected);
    expect(run(['rerank', '--model', fixtures.pylate, '--input', input]).stderr).toMatch(/--query is required/);
  });

  it('lists models and backends', () => {
    const m = run(['models']);
    expect(m.code).toBe(0);
    expect(m.stdout).toMatch(/answerai-colbert-small-v1 \(default\)/);
    // The default backend runs every registry model: from the repo's graph, or one exported on first use.
    const models = JSON.parse(run(['models', '--json']).stdout) as Array<{
      id: string;
      backends: Record<string, string[]>;
    }>;
    for (const model of models) expect(Object.keys(model.backends), model.id).toContain('onnx');
    expect(m.stdout).toMatch(/colbertv2\.0 +colbert +128 +onnx,native,tfjs/);
    const b = run(['backends', '--json']);
    const status = JSON.parse(b.stdout) as Array<{ name: string; installed: boolean; packageName: string }>;
    expect(status.find((s) => s.name === 'onnx')!.installed).toBe(true);
    const missing = status.find((s) => !s.installed);
    if (missing) expect(run(['backends']).stdout).toContain(`npm i ${missing.packageName}`);
  });

  it('says plainly when pull cannot work offline', () => {
    const r = run(['pull', 'answerai-colbert-small-v1'], undefined, { HF_HOME: tmp() });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/offline \(HF_HUB_OFFLINE\)/);
  });

  it('prints help with examples for every command', () => {
    expect(run(['--help']).stdout).toMatch(/Commands:/);
    for (const c of ['encode', 'score', 'rerank', 'models', 'backends', 'pull', 'export', 'demo', 'serve']) {
      const r = run([c, '--help']);
      expect(r.code, c).toBe(0);
      expect(r.stdout, c).toMatch(/Usage: tessera/);
    }
    expect(run(['encode', '--help']).stdout).toMatch(/Examples:/);
    expect(run(['serve', '--help']).stdout).toMatch(/Example:[\s\S]*curl/);
  });

  it('runs the demo on the bundled checkpoint when the hub is unreachable', () => {
    const r = run(['demo'], undefined, { HF_HOME: tmp() });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/cannot be reached/);
    expect(r.stdout).toMatch(/bundled test checkpoint/);
    expect(r.stdout).toMatch(/\*\d+\.\d\d/);
  });
});
