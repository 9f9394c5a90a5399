import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { fixtures } from '@tessera/fixtures';
import { LanceDbStore } from '@tessera/store-lancedb';
import { CLI, passages, runCli } from './run-cli.js';
import { waitFor } from './wait.js';

const GATED = fileURLToPath(new URL('./gated-backend.mjs', import.meta.url));
const tmp = () => mkdtempSync(join(tmpdir(), 'tessera-index-'));

const run = runCli;

/** A JSONL corpus: ids p0.., real passages, a title field that becomes metadata. */
function corpus(n: number, extra: string[] = []): string {
  const file = join(tmp(), 'corpus.jsonl');
  const lines = Array.from({ length: n }, (_, i) =>
    JSON.stringify({ id: `p${i}`, text: passages[i % passages.length], title: `title ${i}` }),
  );
  writeFileSync(file, `${[...lines, ...extra].join('\n')}\n`);
  return file;
}

async function stored(dir: string): Promise<string[]> {
  const s = await LanceDbStore.open(dir);
  const ids: string[] = [];
  for await (const e of s.entries()) ids.push(e.id);
  await s.close();
  return ids;
}

describe('tessera index and tessera search', () => {
  it('index a corpus, then search it: the same top documents and scores as tessera score', () => {
    const input = corpus(40);
    const to = join(tmp(), 'idx');
    // tessera score encodes each text whole (cut at the document length); --no-split indexes them so.
    const r = run([
      'index',
      '--no-split',
      '--model',
      fixtures.pylate,
      '--backend',
      'onnx',
      '--input',
      input,
      '--to',
      to,
      '--keep-text',
      '--json',
      '--window',
      '16',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary).toMatchObject({ read: 40, written: 40, total: 40, duplicates: 0, stopped: false, skippedLines: 0 });
    expect(summary.sizeBytes).toBeGreaterThan(0);
    expect(r.stderr).toMatch(/done: 40 documents written; 40 in the index \(.* on disk\)/);

    const query = 'a long walk by the sea';
    const s = run(['search', '--index', to, '--backend', 'onnx', '--top-k', '5', '--json', query]);
    expect(s.code, s.stderr).toBe(0);
    const found = JSON.parse(s.stdout) as {
      results: Array<{ rank: number; id: string; score: number; text: string; metadata: { title: string } }>;
    };
    const scored = run([
      'score',
      '--model',
      fixtures.pylate,
      '--backend',
      'onnx',
      '--json',
      '--query',
      query,
      ...passages.slice(0, 40),
    ]);
    const want = (JSON.parse(scored.stdout) as { scores: Array<{ index: number; score: number }> }).scores
      .sort((a, b) => b.score - a.score)
      .slice(0, 5);
    expect(found.results.map((x) => x.id)).toEqual(want.map((w) => `p${w.index}`));
    found.results.forEach((x, i) => {
      expect(x.score).toBeCloseTo(want[i]!.score, 4);
      expect(x.text).toBe(passages[want[i]!.index]);
      expect(x.metadata).toEqual({ title: `title ${want[i]!.index}` });
    });
    // --where: the best documents among those the filter selects (metadata is JSON), through the index.
    const where = "json_get_string(metadata, 'title') IN ('title 3', 'title 7', 'title 12', 'title 30')";
    const filtered = run(['search', '--index', to, '--backend', 'onnx', '-k', '3', '--json', '--where', where, query]);
    expect(filtered.code, filtered.stderr).toBe(0);
    const allScores = (JSON.parse(scored.stdout) as { scores: Array<{ index: number; score: number }> }).scores;
    const inFilter = allScores.filter((x) => [3, 7, 12, 30].includes(x.index)).sort((a, b) => b.score - a.score);
    const got = JSON.parse(filtered.stdout) as { path: string; results: Array<{ id: string; score: number }> };
    expect(got.path).toBe('index');
    expect(got.results.map((x) => x.id)).toEqual(inFilter.slice(0, 3).map((x) => `p${x.index}`));
    got.results.forEach((x, i) => expect(x.score).toBeCloseTo(inFilter[i]!.score, 4));
    const refused = run(['search', '--index', to, '--backend', 'onnx', '--where', 'title = = 3', query]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/LanceDB refused the filter "title = = 3": .*sql parser error/i);
    expect(refused.stderr).toMatch(/^hint: --where takes LanceDB SQL on id, text, source and metadata \(JSON\)/m);
    expect(refused.stderr).not.toMatch(/\n\s+at /);

    const table = run(['search', '--index', to, '--backend', 'onnx', '-k', '2', query]);
    expect(table.stdout).toMatch(
      new RegExp(`^#  score +id +text\\n.*\\n1  ${want[0]!.score.toFixed(4)}  p${want[0]!.index} `),
    );
  });

  it('survives kill -9: a rerun continues, and every id is in the index exactly once', async () => {
    const n = 600;
    const input = corpus(n);
    const to = join(tmp(), 'idx');
    // The engine stops after two windows of 32 texts and waits: the kill always lands mid-run,
    // with whole windows in the index, however fast the machine.
    const gate = tmp();
    writeFileSync(join(gate, 'after'), '64');
    const child = spawn(
      process.execPath,
      [
        CLI,
        'index',
        '--model',
        fixtures.pylate,
        '--backend',
        GATED,
        '--threads',
        '1',
        '--input',
        input,
        '--to',
        to,
        '--window',
        '32',
        // The gate counts texts through the engine: one text a document.
        '--no-split',
      ],
      { env: { ...process.env, HF_HUB_OFFLINE: '1', TESSERA_TEST_GATE: gate } },
    );
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += String(d)));
    const exited = new Promise((r) => child.on('exit', r));
    const count = async () => {
      try {
        const s = await LanceDbStore.open(to);
        const c = await s.count();
        await s.close();
        return c;
      } catch {
        return 0; // not created yet
      }
    };
    await waitFor(
      'a window in the index with the engine held at the gate',
      async () => existsSync(join(gate, 'blocked')) && (await count()) >= 32,
      { child, stderr: () => stderr },
    );
    child.kill('SIGKILL');
    await exited;
    const partial = await stored(to);
    expect(partial.length).toBeGreaterThanOrEqual(32);
    expect(partial.length).toBeLessThan(n);
    expect(partial.length % 32, 'whole windows only').toBe(0);

    const r = run([
      'index',
      '--input',
      input,
      '--to',
      to,
      '--backend',
      'onnx',
      '--json',
      '--window',
      '32',
      '--no-split',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary.alreadyIndexed).toBe(partial.length);
    expect(summary.encoded).toBe(n - partial.length);
    const ids = await stored(to);
    expect(ids.length).toBe(n);
    expect(new Set(ids).size).toBe(n);
  });

  it('refuses another model for an existing index, naming both', () => {
    const input = corpus(5);
    const to = join(tmp(), 'idx');
    expect(
      run(['index', '--model', fixtures.pylate, '--backend', 'onnx', '--input', input, '--to', to, '--quiet']).code,
    ).toBe(0);
    const r = run(['index', '--model', fixtures.stanford, '--backend', 'onnx', '--input', input, '--to', to]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`was built with ${fixtures.pylate} (dimension`);
    expect(r.stderr).toContain(`this run uses ${fixtures.stanford}`);
  });

  it('keeps the last line of a duplicate id and reports it; stops at a bad line naming it, and --skip-invalid goes on', () => {
    const input = corpus(20, [
      JSON.stringify({ id: 'p3', text: 'the replacement text', title: 'again' }),
      '{"id": "bad", "text": 7}',
      JSON.stringify({ id: 'p99', text: 'after the bad line' }),
    ]);
    const to = join(tmp(), 'idx');
    const bad = run([
      'index',
      '--model',
      fixtures.pylate,
      '--backend',
      'onnx',
      '--input',
      input,
      '--to',
      to,
      '--window',
      '8',
      '--keep-text',
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(`${input}:22: "text" must be a string, got number`);
    const ok = run([
      'index',
      '--input',
      input,
      '--to',
      to,
      '--backend',
      'onnx',
      '--window',
      '8',
      '--keep-text',
      '--skip-invalid',
      '--json',
    ]);
    expect(ok.code, ok.stderr).toBe(0);
    const s = JSON.parse(ok.stdout);
    expect(s).toMatchObject({ total: 21, skippedLines: 1, duplicates: 1, duplicateIds: ['p3'] });
    expect(ok.stderr).toMatch(/skipped line 22: "text" must be a string/);
    expect(ok.stderr).toMatch(/1 duplicate ids, the last line of each kept \(p3\)/);
    const hit = JSON.parse(
      run(['search', '--index', to, '--backend', 'onnx', '--json', '-k', '21', 'the replacement text']).stdout,
    ).results.find((x: { id: string }) => x.id === 'p3');
    expect(hit.text).toBe('the replacement text');
  });

  it('indexes a text file (one document a line, ids are line numbers) and refuses a folder that is not an index', () => {
    const dir = tmp();
    const txt = join(dir, 'docs.txt');
    writeFileSync(txt, 'first document\n\nthird line here\n');
    const to = join(dir, 'idx');
    const r = run([
      'index',
      '--model',
      fixtures.pylate,
      '--backend',
      'onnx',
      '--input',
      txt,
      '--to',
      to,
      '--keep-text',
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(run(['search', '--index', to, '--backend', 'onnx', '--json', 'document']).stdout);
    expect(s.results.map((x: { id: string; text: string }) => [x.id, x.text]).sort()).toEqual([
      ['1', 'first document'],
      ['3', 'third line here'],
    ]);
    const other = join(dir, 'not-an-index');
    mkdirSync(other);
    writeFileSync(join(other, 'notes.md'), 'mine');
    const refused = run(['index', '--model', fixtures.pylate, '--backend', 'onnx', '--input', txt, '--to', other]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`${other} is not a Tessera index (it has files but no tessera-index.json)`);
    const searched = run(['search', '--index', other, 'q']);
    expect(searched.code).toBe(1);
    expect(run(['search', '--index', to, 'two', 'queries']).stderr).toMatch(/give one query/);
  });

  it('indexes a folder of text files, one document each, ids are their paths', () => {
    const dir = tmp();
    const notes = join(dir, 'notes');
    mkdirSync(join(notes, 'sub'), { recursive: true });
    writeFileSync(join(notes, 'a.txt'), 'Paris is the capital of France.');
    writeFileSync(join(notes, 'sub', 'b.md'), 'Bananas are yellow.');
    writeFileSync(join(notes, 'image.png'), 'not text');
    const to = join(dir, 'idx');
    const r = run([
      'index',
      '--model',
      fixtures.pylate,
      '--backend',
      'onnx',
      '--input',
      notes,
      '--to',
      to,
      '--keep-text',
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ written: 2, total: 2 });
    const found = JSON.parse(
      run(['search', '--index', to, '--backend', 'onnx', '--json', 'capital of france']).stdout,
    ).results;
    expect(found.map((x: { id: string }) => x.id)).toEqual(['a.txt', 'sub/b.md']);
    expect(found[0]).toMatchObject({ text: 'Paris is the capital of France.', metadata: { path: 'a.txt' } });
    const empty = join(dir, 'empty');
    mkdirSync(empty);
    const none = run(['index', '--model', fixtures.pylate, '--input', empty, '--to', join(dir, 'idx2')]);
    expect(none.stderr).toMatch(/holds no text files/);
    expect(none.code).toBe(2);
  });

  it('reports a folder it may not write to, without a stack trace', () => {
    // /sys refuses new entries even to root.
    const r = run([
      'index',
      '--model',
      fixtures.pylate,
      '--backend',
      'onnx',
      '--input',
      corpus(3),
      '--to',
      '/sys/tessera-index-test',
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /\/sys\/tessera-index-test: writing tessera-index\.json failed: (permission denied|the file system is read-only)/,
    );
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('reads a million-line corpus in bounded memory', () => {
    const file = join(tmp(), 'big.jsonl');
    const line = (i: number) =>
      JSON.stringify({ id: `d${i}`, text: `document number ${i} ${'filler words '.repeat(4)}` });
    const chunk = Array.from({ length: 10_000 }, (_, i) => line(i)).join('\n');
    writeFileSync(file, '');
    for (let k = 0; k < 100; k++) writeFileSync(file, `${chunk}\n`, { flag: 'a' });
    const script = `import { openCorpus } from '@tessera/core';
      const c = await openCorpus(${JSON.stringify(file)});
      let n = 0; for await (const d of c.documents) n++;
      console.log(n, Math.round(process.memoryUsage().heapUsed / 1e6));`;
    // A 32 MB heap: the file (~80 MB) read whole would not fit.
    const r = spawnSync(process.execPath, ['--max-old-space-size=32', '--input-type=module', '-e', script], {
      encoding: 'utf8',
      cwd: fileURLToPath(new URL('..', import.meta.url)),
    });
    expect(r.stderr).toBe('');
    const [count] = r.stdout.trim().split(' ').map(Number);
    expect(count).toBe(1_000_000);
  });
});
