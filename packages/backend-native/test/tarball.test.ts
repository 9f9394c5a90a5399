import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tarballProblems } from '@tessera/core/testing';

// The suite's quick form of test/install, which npm-installs the tarball (`pnpm test:install`).
describe('the package tarball', () => {
  it('holds every file its package.json names, and no workspace: dependency', () => {
    const { problems, files } = tarballProblems(fileURLToPath(new URL('..', import.meta.url)));
    expect(problems).toEqual([]);
    expect(files).toContain('dist/index.js');
    expect(files).toContain('scripts/install.mjs');
    // The workspace's addon travels as the prebuilt binary that an install uses where it fits.
    if (existsSync(fileURLToPath(new URL('../build/Release/tessera_native.node', import.meta.url))))
      for (const f of ['tessera_native.node', 'built-against.json'])
        expect(files).toContain(`prebuilds/${process.platform}-${process.arch}/${f}`);
  });
});
