import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { fixtures } from '@tessera/fixtures';
import { readGolden, type ColbertGolden } from '@tessera/core/conformance';
import { installFromTarballs } from '@tessera/core/testing';
import { findLibtorch } from '../scripts/find-libtorch.mjs';

const here = fileURLToPath(new URL('..', import.meta.url));

/**
 * What a user does: npm-install core and this backend from their tarballs into an empty project
 * and encode. Where libtorch is found the addon must load and match the golden score; where it
 * is not, the install must still succeed and the backend say what to install. Returns the project.
 */
export function installAndEncode(env: Record<string, string>): string {
  const { project } = installFromTarballs([join(here, '../core'), here], env);
  const golden = readGolden<ColbertGolden>(fixtures.stanford);
  writeFileSync(
    join(project, 'main.js'),
    `import { Tessera } from '@tessera/core';
try {
  const t = await Tessera.create({ model: ${JSON.stringify(fixtures.stanford)}, backend: 'native' });
  const [q] = await t.encodeQueries([${JSON.stringify(golden.queries[0]!.text)}]);
  const [d] = await t.encodeDocuments([${JSON.stringify(golden.documents[0]!.text)}]);
  console.log(JSON.stringify({ score: t.score(q, d), engine: t.engine }));
  await t.dispose();
} catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })); }
`,
  );
  const out = JSON.parse(execFileSync(process.execPath, ['main.js'], { cwd: project, encoding: 'utf8' })) as {
    score?: number;
    engine?: string;
    message?: string;
  };
  if (findLibtorch()) {
    expect(out.engine).toMatch(/^libtorch/);
    expect(out.score).toBeCloseTo(golden.maxsim[0]![0]!, 3);
  } else expect(out.message).toMatch(/native addon is not built/);
  return join(project, 'node_modules/@tessera/backend-native');
}
