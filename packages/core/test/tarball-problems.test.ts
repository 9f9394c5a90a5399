import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tarballProblems } from '../src/testing/index.js';

// The packages' quick tarball tests rely on this check seeing a missing file.
describe('tarballProblems', () => {
  it('names each file package.json points at that the tarball lacks', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-tarball-'));
    mkdirSync(join(dir, 'lib'));
    writeFileSync(join(dir, 'lib', 'x.js'), 'export {};\n');
    writeFileSync(
      join(dir, 'package.json'),
      JSON.stringify({
        name: 'broken-package',
        version: '1.0.0',
        type: 'module',
        main: './dist/index.js',
        exports: { '.': { types: './dist/index.d.ts', default: './dist/index.js' }, './x': './lib/x.js' },
      }),
    );
    const { problems, files } = tarballProblems(dir);
    expect(files).toContain('lib/x.js');
    expect(problems).toEqual([
      'broken-package: package.json names dist/index.js, which the tarball lacks',
      'broken-package: package.json names dist/index.d.ts, which the tarball lacks',
    ]);
  });
});
