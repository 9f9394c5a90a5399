import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../src/', import.meta.url));
// The files a bundler building for a page swaps (package.json "browser"), as source paths.
const PKG = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  browser: Record<string, string>;
};
const toSource = (p: string) => resolve(SRC, p.replace(/^\.\/dist\//, '').replace(/\.js$/, '.ts'));
const SWAPS = new Map(Object.entries(PKG.browser).map(([from, to]) => [toSource(from), toSource(to)]));
const NODE_ONLY = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
// Value imports and re-exports, side-effect imports, dynamic import() and require().
const IMPORT = new RegExp(
  [
    /(?:^|\n)\s*(?:import|export)(?!\s+type\b)[^'"]*?from\s+['"]([^'"]+)['"]/.source,
    /(?:^|\n)\s*import\s+['"]([^'"]+)['"]/.source,
    /import\(\s*['"]([^'"]+)['"]\s*\)/.source,
    /require\(\s*['"]([^'"]+)['"]\s*\)/.source,
  ].join('|'),
  'g',
);

/**
 * Every Node built-in reachable from a source file through its value imports (type-only imports
 * vanish at compile time), with the chain of files that reaches it.
 */
function nodeImports(entry: string, swaps: ReadonlyMap<string, string> = SWAPS): string[] {
  const found: string[] = [];
  const seen = new Set<string>();
  const visit = (file: string, chain: string[]) => {
    file = swaps.get(file) ?? file;
    if (seen.has(file)) return;
    seen.add(file);
    const src = readFileSync(file, 'utf8');
    for (const m of src.matchAll(IMPORT)) {
      const spec = (m[1] ?? m[2] ?? m[3] ?? m[4])!;
      const here = [...chain, relative(SRC, file)];
      if (spec.startsWith('.')) visit(resolve(dirname(file), spec.replace(/\.js$/, '.ts')), here);
      else if (NODE_ONLY.has(spec)) found.push(`${spec} <- ${here.reverse().join(' <- ')}`);
    }
  };
  visit(resolve(SRC, entry), []);
  return found;
}

// Core's kernels and the steps of the encode flow that are the same everywhere: the browser
// backend (and any bundle for a page) imports these, so none may reach a Node built-in.
const BROWSER_SAFE = [
  'browser.ts',
  'tessera.ts',
  'platform/browser.ts',
  'scoring/pool-browser.ts',
  'scoring/scorer.ts',
  'model/load-folder.ts',
  'tokenizer/hf-tokenizer.ts',
  'io/safetensors.ts',
  'model/fingerprint.ts',
  'conformance/suite.ts',
  'scoring/maxsim.ts',
  'scoring/passages.ts',
  'scoring/quantize.ts',
  'scoring/to-rows.ts',
  'plaid/search.ts',
  'plaid/build.ts',
  'plaid/update.ts',
  'plaid/pooling.ts',
  'plaid/index-files.ts',
  'postprocess/project.ts',
  'postprocess/dense-apply.ts',
  'postprocess/pooling.ts',
  'postprocess/rows.ts',
  'colbert/inputs.ts',
  'batching/plan.ts',
];

describe('modules a browser bundle imports', () => {
  for (const entry of BROWSER_SAFE)
    it(`${entry} reaches no Node built-in`, () => {
      expect(nodeImports(entry)).toEqual([]);
    });

  it('the check sees a Node built-in through a chain of imports (it can fail)', () => {
    expect(nodeImports('model/load-local.ts').some((f) => /^node:fs\b.* <- model\/load-local\.ts$/.test(f))).toBe(true);
    // Without the package's swaps, the scorer reaches Node's worker threads and tessera.ts the hub.
    expect(nodeImports('scoring/packed.ts', new Map())).toContainEqual(
      expect.stringMatching(/^node:worker_threads <- scoring\/pool\.ts <- scoring\/packed\.ts$/),
    );
    expect(nodeImports('tessera.ts', new Map()).some((f) => /<- platform\/node\.ts <- tessera\.ts$/.test(f))).toBe(
      true,
    );
  });
});
