import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { fixtures } from '@tessera/fixtures';
import { readGolden, type ColbertGolden } from '@tessera/core/conformance';
import { installFromTarballs } from '@tessera/core/testing';

const here = fileURLToPath(new URL('../..', import.meta.url));

/** What a user does: npm-install core and this backend from their tarballs into an empty project, and encode. */
describe('installing @tessera/core and @tessera/backend-tfjs from tarballs with npm', () => {
  it('encodes a fixture on the WASM engine and scores it as the reference does', () => {
    const { project } = installFromTarballs([join(here, '../core'), here]);
    const golden = readGolden<ColbertGolden>(fixtures.stanford);
    writeFileSync(
      join(project, 'main.js'),
      `import { Tessera } from '@tessera/core';
const t = await Tessera.create({ model: ${JSON.stringify(fixtures.stanford)}, backend: 'tfjs' });
const [q] = await t.encodeQueries([${JSON.stringify(golden.queries[0]!.text)}]);
const [d] = await t.encodeDocuments([${JSON.stringify(golden.documents[0]!.text)}]);
console.log(JSON.stringify({ score: t.score(q, d), engine: t.engine }));
await t.dispose();
`,
    );
    const out = JSON.parse(execFileSync(process.execPath, ['main.js'], { cwd: project, encoding: 'utf8' })) as {
      score: number;
      engine: string;
    };
    expect(out.engine).toMatch(/wasm/);
    expect(out.score).toBeCloseTo(golden.maxsim[0]![0]!, 3);
  });
});
