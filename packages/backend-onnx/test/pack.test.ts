import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { fixtures } from '@tessera/fixtures';
import { readGolden, type ColbertGolden } from '@tessera/core/conformance';

const here = fileURLToPath(new URL('..', import.meta.url));

/** What a user does: npm-install the two published tarballs into an empty project and encode. */
describe('installing @tessera/core and @tessera/backend-onnx with npm', () => {
  it('encodes a fixture in a project outside the workspace', () => {
    const packs = mkdtempSync(join(tmpdir(), 'tessera-packs-'));
    for (const pkg of [join(here, '../core'), here]) execFileSync('pnpm', ['pack', '--pack-destination', packs], { cwd: pkg, stdio: 'pipe' });
    const tarballs = readdirSync(packs).filter((f) => f.endsWith('.tgz')).map((f) => join(packs, f));
    expect(tarballs).toHaveLength(2);
    const project = mkdtempSync(join(tmpdir(), 'tessera-user-'));
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'user-project', private: true, type: 'module' }));
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...tarballs], { cwd: project, stdio: 'pipe', env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip' } });
    const golden = readGolden<ColbertGolden>(fixtures.stanford);
    writeFileSync(
      join(project, 'main.js'),
      `import { Tessera } from '@tessera/core';
const t = await Tessera.create({ model: ${JSON.stringify(fixtures.stanford)}, backend: 'onnx', device: 'cpu' });
const [q] = await t.encodeQueries([${JSON.stringify(golden.queries[0]!.text)}]);
const [d] = await t.encodeDocuments([${JSON.stringify(golden.documents[0]!.text)}]);
console.log(JSON.stringify({ score: t.score(q, d), backend: t.backendName }));
await t.dispose();
`,
    );
    const out = JSON.parse(execFileSync(process.execPath, ['main.js'], { cwd: project, encoding: 'utf8' })) as { score: number; backend: string };
    expect(out.backend).toBe('onnx');
    expect(out.score).toBeCloseTo(golden.maxsim[0]![0]!, 3);
  }, 300_000);
});
