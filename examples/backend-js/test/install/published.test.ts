import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readGolden, type ColbertGolden } from '@tessera/core/conformance';
import { fixtures } from '@tessera/fixtures';

const root = fileURLToPath(new URL('../../../../', import.meta.url));

/**
 * What a contributor does outside this repository: install core, the fixtures, the CLI and their
 * backend package from tarballs into an empty project, run the conformance suite under node:test
 * (no vitest), and use the backend by its package name from the API and the CLI.
 */
describe('a third-party backend package, installed from tarballs', () => {
  it('passes the conformance suite there and is found by name by the API, the CLI and auto', async () => {
    const packs = mkdtempSync(join(tmpdir(), 'tessera-packs-'));
    for (const dir of [
      'packages/core',
      'fixtures',
      'packages/onnx-graph',
      'packages/backend-onnx',
      'packages/server',
      'packages/store-lancedb',
      'packages/queue',
      'packages/cli',
      'examples/backend-js',
    ])
      execFileSync('pnpm', ['pack', '--pack-destination', packs], { cwd: join(root, dir), stdio: 'pipe' });
    const tarballs = readdirSync(packs)
      .filter((f) => f.endsWith('.tgz'))
      .map((f) => join(packs, f));
    expect(tarballs).toHaveLength(9);
    const project = mkdtempSync(join(tmpdir(), 'tessera-contributor-'));
    writeFileSync(
      join(project, 'package.json'),
      JSON.stringify({ name: 'contributor', private: true, type: 'module' }),
    );
    execFileSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', ...tarballs], {
      cwd: project,
      stdio: 'pipe',
      env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip' },
    });

    // The suite under node:test, as docs/writing-a-backend.md shows it.
    writeFileSync(
      join(project, 'conformance.test.mjs'),
      `import { after, before, describe, it } from 'node:test';
import { defineConformanceSuite } from '@tessera/core/conformance/suite';
import { fixtureList } from '@tessera/fixtures';
import { backend } from 'tessera-backend-example';
const notBert = 'BERT only';
const unsupported = { distilbert: notBert, roberta: notBert, 'xlm-roberta': notBert, modernbert: notBert };
defineConformanceSuite({ describe, it, beforeAll: before, afterAll: after }, { backend, fixtures: fixtureList, unsupported });
`,
    );
    const suite = spawnSync(process.execPath, ['--test', 'conformance.test.mjs'], { cwd: project, encoding: 'utf8' });
    expect(suite.stdout).toMatch(/^# fail 0$/m);
    expect(Number(/^# pass (\d+)$/m.exec(suite.stdout)?.[1])).toBeGreaterThan(60);
    expect(suite.status).toBe(0);

    // The API: by package name, by declared name, and auto (onnx outranks it).
    const golden = readGolden<ColbertGolden>(fixtures.stanford);
    writeFileSync(
      join(project, 'api.mjs'),
      `import { Tessera, installedBackends } from '@tessera/core';
const t = await Tessera.create({ model: ${JSON.stringify(fixtures.stanford)}, backend: 'tessera-backend-example' });
const [q] = await t.encodeQueries([${JSON.stringify(golden.queries[0]!.text)}]);
const [d] = await t.encodeDocuments([${JSON.stringify(golden.documents[0]!.text)}]);
const auto = await Tessera.create({ model: ${JSON.stringify(fixtures.stanford)} });
console.log(JSON.stringify({ name: t.backendName, score: t.score(q, d), auto: auto.backendName, installed: (await installedBackends()).map((b) => b.name) }));
`,
    );
    const api = JSON.parse(execFileSync(process.execPath, ['api.mjs'], { cwd: project, encoding: 'utf8' })) as {
      name: string;
      score: number;
      auto: string;
      installed: string[];
    };
    expect(api.name).toBe('js');
    expect(api.score).toBeCloseTo(golden.maxsim[0]![0]!, 3);
    expect(api.auto).toBe('onnx');
    expect(api.installed).toEqual(['onnx', 'js']);

    // The CLI: listed by `tessera backends`, used by --backend <package name>.
    const tessera = join(project, 'node_modules', '.bin', 'tessera');
    const list = JSON.parse(
      execFileSync(tessera, ['backends', '--json'], { cwd: project, encoding: 'utf8' }),
    ) as Array<{ name: string; packageName: string; installed: boolean }>;
    expect(list.find((b) => b.name === 'js')).toMatchObject({
      packageName: 'tessera-backend-example',
      installed: true,
    });
    const score = JSON.parse(
      execFileSync(
        tessera,
        [
          'score',
          '--backend',
          'tessera-backend-example',
          '--model',
          fixtures.stanford,
          '--json',
          '--query',
          golden.queries[1]!.text,
          golden.documents[2]!.text,
        ],
        { cwd: project, encoding: 'utf8', env: { ...process.env, HF_HUB_OFFLINE: '1' } },
      ),
    ) as { scores: Array<{ score: number }> };
    expect(score.scores[0]!.score).toBeCloseTo(golden.maxsim[1]![2]!, 3);
    const missing = spawnSync(
      tessera,
      ['score', '--backend', 'tessera-backend-nope', '--model', fixtures.stanford, '--query', 'q', 'd'],
      { cwd: project, encoding: 'utf8' },
    );
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(
      /tessera-backend-nope is not installed\. Install it with: npm i tessera-backend-nope/,
    );

    // `tessera index` and `tessera search` from the tarballs, on the third-party backend.
    writeFileSync(join(project, 'docs.txt'), `${golden.documents.map((d) => d.text).join('\n')}\n`);
    const env = { ...process.env, HF_HUB_OFFLINE: '1' };
    execFileSync(
      tessera,
      [
        'index',
        '--backend',
        'tessera-backend-example',
        '--model',
        fixtures.stanford,
        '--input',
        'docs.txt',
        '--to',
        'idx',
        '--quiet',
      ],
      { cwd: project, env },
    );
    const found = JSON.parse(
      execFileSync(
        tessera,
        [
          'search',
          '--backend',
          'tessera-backend-example',
          '--index',
          'idx',
          '--json',
          '--top-k',
          '1',
          golden.queries[1]!.text,
        ],
        { cwd: project, encoding: 'utf8', env },
      ),
    ) as { results: Array<{ id: string; score: number }> };
    const best = golden.maxsim[1]!.reduce((b, s, i, all) => (s > all[b]! ? i : b), 0);
    expect(found.results[0]!.id).toBe(String(best + 1));
    expect(found.results[0]!.score).toBeCloseTo(golden.maxsim[1]![best]!, 3);

    // `tessera serve` from the tarballs, on the third-party backend: its server package and
    // framework come with the CLI.
    const server = spawn(
      tessera,
      ['serve', '--backend', 'tessera-backend-example', '--model', fixtures.stanford, '--port', '0'],
      { cwd: project, env: { ...process.env, HF_HUB_OFFLINE: '1' } },
    );
    try {
      const lines = createInterface({ input: server.stderr! });
      let url = '';
      for await (const line of lines) {
        const m = /listening on (\S+)/.exec(line);
        if (m) {
          url = m[1]!;
          break;
        }
      }
      const r = await fetch(`${url}/rerank`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: golden.queries[1]!.text, texts: [golden.documents[2]!.text] }),
      });
      expect(r.status).toBe(200);
      expect(((await r.json()) as Array<{ score: number }>)[0]!.score).toBeCloseTo(golden.maxsim[1]![2]!, 3);
    } finally {
      server.kill('SIGTERM');
    }
  }, 600_000);
});
