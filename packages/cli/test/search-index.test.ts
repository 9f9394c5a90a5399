import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixtures } from '@tessera/fixtures';
import { CLI, passages, runCli } from './run-cli.js';
import { waitFor } from './wait.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'tessera-search-index-'));
const MODEL = ['--model', fixtures.pylate, '--backend', 'onnx', '--quiet'];
const run = runCli;

function corpus(ids: number[]): string {
  const file = join(tmp(), 'corpus.jsonl');
  writeFileSync(file, `${ids.map((i) => JSON.stringify({ id: `p${i}`, text: passages[i] })).join('\n')}\n`);
  return file;
}

interface SearchJson {
  results: Array<{ rank: number; id: string; score: number }>;
  path: 'index' | 'exact';
  took_ms: number;
  note?: string;
}
const search = (index: string, query: string, ...extra: string[]): SearchJson => {
  const r = run(['search', '--index', index, query, '--json', ...extra]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as SearchJson;
};

describe('the compressed search index behind tessera index and tessera search', () => {
  it('is built by every index run and answers search with the exact scores; --exact scans', () => {
    const to = join(tmp(), 'idx');
    const first = run(['index', ...MODEL, '--input', corpus([...Array(200).keys()]), '--to', to, '--json']);
    expect(first.code, first.stderr).toBe(0);
    const summary = JSON.parse(first.stdout);
    expect(summary.searchIndex).toMatchObject({ documents: 200, nbits: 2 });
    expect(existsSync(join(to, 'plaid', 'plaid.json'))).toBe(true);

    const query = passages[17]!.split(' ').slice(2, 12).join(' ');
    const viaIndex = search(to, query, '-k', '5');
    const exact = search(to, query, '-k', '5', '--exact');
    expect(viaIndex.path).toBe('index');
    expect(exact.path).toBe('exact');
    expect(exact.note).toBeUndefined();
    expect(viaIndex.took_ms).toBeGreaterThan(0);
    // Whatever found them, the scores are exact MaxSim: a document both return scores the same.
    const exactScores = new Map(exact.results.map((r) => [r.id, r.score]));
    const shared = viaIndex.results.filter((r) => exactScores.has(r.id));
    expect(shared.length).toBeGreaterThan(0);
    for (const r of shared) expect(r.score).toBeCloseTo(exactScores.get(r.id)!, 5);

    // A second run adds documents to the trained centroids (no rebuild): the new ones are searchable.
    const loud = MODEL.filter((a) => a !== '--quiet');
    const second = run(['index', ...loud, '--input', corpus([300, 301, 302]), '--to', to, '--json']);
    expect(second.code, second.stderr).toBe(0);
    const built = summary.searchIndex;
    expect(JSON.parse(second.stdout).searchIndex).toMatchObject({
      mode: 'updated',
      added: 3,
      removed: 0,
      documents: 203,
      centroids: built.centroids,
    });
    expect(second.stderr).toMatch(
      /updated in [\d.]+ s \(3 documents encoded against its centroids, 0 old versions dropped\)/,
    );
    const added = search(to, passages[301]!, '-k', '3', '--ncells', '4');
    expect(added.path).toBe('index');
    expect(added.results.map((r) => r.id)).toContain('p301');
  });

  it('--no-search-index leaves search exact (saying so); --rebuild builds it later; bad options are usage errors', () => {
    const to = join(tmp(), 'idx');
    expect(run(['index', ...MODEL, '--input', corpus([1, 2, 3, 4, 5]), '--to', to, '--no-search-index']).code).toBe(0);
    expect(existsSync(join(to, 'plaid'))).toBe(false);
    const before = search(to, passages[3]!);
    expect(before.path).toBe('exact');
    expect(before.note).toMatch(/no compressed index/);
    const rebuilt = run(['index', '--to', to, '--rebuild', '--nbits', '4', '--centroids', '8', '--json', '-q']);
    expect(rebuilt.code, rebuilt.stderr).toBe(0);
    expect(JSON.parse(rebuilt.stdout)).toMatchObject({ documents: 5, nbits: 4, centroids: 8 });
    expect(search(to, passages[3]!).path).toBe('index');

    const pooled = run(['index', '--to', to, '--rebuild', '--pool-factor', '2', '--json', '-q']);
    expect(pooled.code, pooled.stderr).toBe(0);
    expect(JSON.parse(pooled.stdout)).toMatchObject({ documents: 5, poolFactor: 2 });
    expect(search(to, passages[3]!).results[0]!.id).toBe('p3');
    for (const bad of ['0', '1.5', 'two']) {
      const r = run(['index', '--to', to, '--rebuild', '--pool-factor', bad]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(new RegExp(`--pool-factor must be an integer >= 1 \\(got "${bad}"\\)`));
    }
    // --rebuild with --input retrains at the end of the run; without it, the run updates.
    const more = run(['index', ...MODEL, '--input', corpus([6]), '--to', to, '--json']);
    expect(JSON.parse(more.stdout).searchIndex).toMatchObject({
      mode: 'updated',
      added: 1,
      documents: 6,
      poolFactor: 2,
    });
    const third = run(['index', ...MODEL, '--input', corpus([7]), '--to', to, '--json', '--rebuild']);
    expect(third.code, third.stderr).toBe(0);
    // A rebuild keeps the index's nbits and pooling.
    expect(JSON.parse(third.stdout).searchIndex).toMatchObject({
      mode: 'built',
      added: 7,
      documents: 7,
      nbits: 4,
      poolFactor: 2,
    });
    const nbits = run(['index', '--to', to, '--rebuild', '--nbits', '3']);
    expect(nbits.code).toBe(2);
    expect(nbits.stderr).toMatch(/--nbits must be one of 1, 2, 4 \(got "3"\)/);
    const threshold = run(['search', '--index', to, 'x', '--centroid-score-threshold', 'high']);
    expect(threshold.code).toBe(2);
    expect(threshold.stderr).toMatch(/--centroid-score-threshold must be a number/);
  });

  it('names a damaged index file instead of answering from it', () => {
    const to = join(tmp(), 'idx');
    expect(run(['index', ...MODEL, '--input', corpus([...Array(30).keys()]), '--to', to]).code).toBe(0);
    const file = join(to, 'plaid', 'residuals.u8');
    const bytes = readFileSync(file);
    bytes[3] ^= 0xff;
    writeFileSync(file, bytes);
    const r = run(['search', '--index', to, 'anything']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/plaid\/residuals\.u8: its checksum does not match .*rebuild the index/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    // --exact does not read the compressed index, and a rebuild repairs it.
    expect(search(to, 'anything', '--exact').path).toBe('exact');
    expect(run(['index', '--to', to, '--rebuild', '-q']).code).toBe(0);
    expect(search(to, 'anything').path).toBe('index');
  });

  it('tessera serve --index NAME=DIR answers POST /v1/search from it; an index of another model stops startup', async () => {
    const to = join(tmp(), 'idx');
    expect(run(['index', ...MODEL, '--input', corpus([...Array(40).keys()]), '--to', to, '--keep-text']).code).toBe(0);
    const serve = (model: string) => [
      'serve',
      '--model',
      model,
      '--backend',
      'onnx',
      '--index',
      `notes=${to}`,
      '--port',
      '0',
    ];
    const child = spawn(process.execPath, [CLI, ...serve(`colbert=${fixtures.pylate}`), '--threads', '1'], {
      env: { ...process.env, HF_HUB_OFFLINE: '1' },
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += String(d)));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    try {
      await waitFor('the server listening', () => /listening on http/.test(stderr), { child, stderr: () => stderr });
      const base = /listening on (http:\/\/\S+)/.exec(stderr)![1]!;
      const query = passages[7]!.split(' ').slice(0, 10).join(' ');
      const r = await fetch(`${base}/v1/search`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ index: 'notes', query, top_k: 3 }),
      });
      expect(r.status).toBe(200);
      const body = (await r.json()) as SearchJson & { index: string };
      expect(body.index).toBe('notes');
      expect(body.path).toBe('index');
      const cli = search(to, query, '-k', '3');
      expect(body.results.map((x) => x.id)).toEqual(cli.results.map((x) => x.id));
    } finally {
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    }
    const wrong = run(serve(fixtures.stanford));
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/colbert-pylate[\s\S]*colbert-stanford|colbert-stanford[\s\S]*colbert-pylate/);
  });

  it('--no-vectors keeps codes instead of float rows; search scores decoded rows and says so; --exact is refused', () => {
    const ids = [...Array(200).keys()];
    const plain = join(tmp(), 'plain');
    expect(run(['index', ...MODEL, '--input', corpus(ids), '--to', plain, '--json']).code).toBe(0);
    const to = join(tmp(), 'codes');
    const made = run([
      'index',
      ...MODEL,
      '--input',
      corpus(ids),
      '--to',
      to,
      '--no-vectors',
      '--train-documents',
      '120',
      '--json',
    ]);
    expect(made.code, made.stderr).toBe(0);
    const summary = JSON.parse(made.stdout);
    expect(summary).toMatchObject({
      written: 200,
      total: 200,
      searchIndex: { mode: 'built', documents: 200, nbits: 2 },
    });
    expect(existsSync(join(to, 'plaid-codec', 'codec.json'))).toBe(true);
    // No float rows: far smaller than the same corpus with them.
    const plainSize = JSON.parse(
      run(['index', ...MODEL, '--input', corpus([]), '--to', plain, '--json']).stdout,
    ).sizeBytes;
    expect(summary.sizeBytes).toBeLessThan(plainSize * 0.6);

    const query = passages[17]!.split(' ').slice(2, 12).join(' ');
    const got = search(to, query, '-k', '5') as SearchJson & { scores?: string };
    expect(got).toMatchObject({ path: 'index', scores: 'decompressed' });
    expect(got.note).toMatch(/decoded from the compressed-only index/);
    const exact = search(plain, query, '-k', '5', '--exact');
    // This fixture's random weights leave near-ties; decoded rows score within a hair of the float ones.
    expect(got.results.map((r) => r.id)).toContain(exact.results[0]!.id);
    const exactScores = new Map(exact.results.map((r) => [r.id, r.score]));
    const shared = got.results.filter((r) => exactScores.has(r.id));
    expect(shared.length).toBeGreaterThanOrEqual(2);
    for (const r of shared) expect(Math.abs(r.score - exactScores.get(r.id)!)).toBeLessThan(0.01 * r.score);

    const refused = run(['search', '--index', to, query, '--exact']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/compressed-only .*an exact search needs them/);
    // A later run adds to it against the same codec, without the flag.
    const more = run(['index', ...MODEL, '--input', corpus([300, 301]), '--to', to, '--json']);
    expect(more.code, more.stderr).toBe(0);
    expect(JSON.parse(more.stdout).searchIndex).toMatchObject({ mode: 'updated', added: 2, documents: 202 });
    expect(search(to, passages[301]!, '-k', '3').results.map((r) => r.id)).toContain('p301');

    for (const [extra, why] of [
      [['--pool-factor', '2'], /--pool-factor needs the float rows, which --no-vectors does not keep/],
      [['--train-documents', '5'], /--train-documents shapes a --no-vectors index/],
    ] as const) {
      const flags = extra[0] === '--train-documents' ? [...extra] : ['--no-vectors', ...extra];
      const bad = run(['index', ...MODEL, '--input', corpus([1]), '--to', join(tmp(), 'x'), ...flags]);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(why);
    }
    const mixed = run(['index', ...MODEL, '--input', corpus([1]), '--to', plain, '--no-vectors']);
    expect(mixed.code).not.toBe(0);
    expect(mixed.stderr).toMatch(/keeps float rows: --no-vectors .* applies to a new index/);
  });
});
