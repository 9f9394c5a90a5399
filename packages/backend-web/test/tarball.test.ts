import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tarballProblems } from '@tessera/core/testing';

// What an app's bundler installs: the package as npm packs it.
describe('the package tarball', () => {
  it('holds every file its package.json names, and no workspace: dependency', () => {
    const { problems, files } = tarballProblems(fileURLToPath(new URL('..', import.meta.url)));
    expect(problems).toEqual([]);
    expect(files).toContain('dist/index.js');
  });
});
