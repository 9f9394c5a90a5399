import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { fixtures } from '@tessera/fixtures';
import { readGolden, type ColbertGolden } from '@tessera/core/conformance';
import { emptyProject, packTarballs } from '@tessera/core/testing';

const here = fileURLToPath(new URL('../..', import.meta.url));
const golden = readGolden<ColbertGolden>(fixtures.stanford);
let tarballs: string[] = [];

/** A user's script: encode a query and a document of the fixture, print the MaxSim. */
const esm = `import { Tessera } from '@tessera/core';
const t = await Tessera.create({ model: ${JSON.stringify(fixtures.stanford)}, backend: 'onnx', device: 'cpu' });
const [q] = await t.encodeQueries([${JSON.stringify(golden.queries[0]!.text)}]);
const [d] = await t.encodeDocuments([${JSON.stringify(golden.documents[0]!.text)}]);
console.log(JSON.stringify({ score: t.score(q, d), backend: t.backendName }));
await t.dispose();
`;
// A CommonJS project: require() of the ESM packages (Node 20.19+ loads ESM without top-level await).
const cjs = `const { Tessera } = require('@tessera/core');
(async () => {
  const t = await Tessera.create({ model: ${JSON.stringify(fixtures.stanford)}, backend: 'onnx', device: 'cpu' });
  const [q] = await t.encodeQueries([${JSON.stringify(golden.queries[0]!.text)}]);
  const [d] = await t.encodeDocuments([${JSON.stringify(golden.documents[0]!.text)}]);
  console.log(JSON.stringify({ score: t.score(q, d), backend: t.backendName }));
  await t.dispose();
})();
`;

function scoreOf(dir: string, file: string): { score: number; backend: string } {
  return JSON.parse(execFileSync(process.execPath, [file], { cwd: dir, encoding: 'utf8' })) as {
    score: number;
    backend: string;
  };
}

/** What users do: install the published tarballs into an empty project, the way the READMEs say. */
describe('installing @tessera/core and @tessera/backend-onnx (with @tessera/onnx-graph) from tarballs', () => {
  beforeAll(() => {
    tarballs = packTarballs([join(here, '../core'), join(here, '../onnx-graph'), here]);
  });

  it('npm, with ONNXRUNTIME_NODE_INSTALL=skip as the README says: encodes a fixture (ESM and CommonJS)', () => {
    expect(tarballs).toHaveLength(3);
    const dir = emptyProject('module');
    execFileSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', ...tarballs], {
      cwd: dir,
      stdio: 'pipe',
      env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip' },
    });
    writeFileSync(join(dir, 'main.js'), esm);
    writeFileSync(join(dir, 'main.cjs'), cjs);
    for (const file of ['main.js', 'main.cjs']) {
      const out = scoreOf(dir, file);
      expect(out.backend).toBe('onnx');
      expect(out.score).toBeCloseTo(golden.maxsim[0]![0]!, 3);
    }
    // @tessera/core/conformance loads without vitest (an optional peer) and says what its vitest helper needs.
    writeFileSync(
      join(dir, 'conf.js'),
      `import { readGolden, runConformanceSuite } from '@tessera/core/conformance';\nconsole.log(typeof ` +
        `readGolden);\ntry { runConformanceSuite({ backend: {} }); } catch (e) { console.log(e.code, ` +
        `e.message); }\n`,
    );
    const conf = execFileSync(process.execPath, ['conf.js'], { cwd: dir, encoding: 'utf8' });
    expect(conf).toMatch(/^function\nBACKEND_NOT_INSTALLED runConformanceSuite needs vitest/);
  });

  it('pnpm, with onnxruntime-node decided in pnpm-workspace.yaml as the README says: installs (exit 0) and encodes', () => {
    const dir = emptyProject('commonjs');
    // A registry would serve @tessera/onnx-graph; from tarballs, pnpm (unlike npm) needs to be told where it is.
    const graph = tarballs.find((t) => t.includes('onnx-graph'))!;
    writeFileSync(
      join(dir, 'pnpm-workspace.yaml'),
      `allowBuilds:\n  onnxruntime-node: false\noverrides:\n  '@tessera/onnx-graph': 'file:${graph}'\n`,
    );
    execFileSync('pnpm', ['add', ...tarballs], { cwd: dir, stdio: 'pipe', env: { ...process.env, CI: 'true' } });
    writeFileSync(join(dir, 'main.mjs'), esm);
    writeFileSync(join(dir, 'main.js'), cjs);
    for (const file of ['main.mjs', 'main.js']) expect(scoreOf(dir, file).score).toBeCloseTo(golden.maxsim[0]![0]!, 3);
  });
});
