import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

// `pnpm lint` is Biome plus scripts/check-lines.mjs; these tests put a probe file where a
// contributor would write one and read what the lint says about it.
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const probes: string[] = [];

function probe(path: string, text: string): string {
  const abs = `${ROOT}${path}`;
  writeFileSync(abs, text);
  probes.push(abs);
  return path;
}

function biome(path: string) {
  const r = spawnSync(process.execPath, [`${ROOT}node_modules/@biomejs/biome/bin/biome`, 'lint', path], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 600_000,
  });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

afterEach(() => {
  for (const p of probes.splice(0)) rmSync(p, { force: true });
});

describe('pnpm lint', () => {
  const name = `lint-probe-${process.pid}.ts`;

  it('passes a clean file in core (the control for the cases below)', () => {
    const r = biome(
      probe(
        `packages/core/src/${name}`,
        "import { TesseraError } from './errors.js';\n\nexport const E = TesseraError;\n",
      ),
    );
    expect(r.code, r.out).toBe(0);
  });

  it('refuses a web framework, a queue client or an engine imported by core', () => {
    for (const pkg of ['fastify', 'bullmq', 'onnxruntime-node', '@tessera/server']) {
      const r = biome(probe(`packages/core/src/${name}`, `import * as m from '${pkg}';\n\nexport const M = m;\n`));
      expect(r.code, pkg).toBe(1);
      expect(r.out).toMatch(/noRestrictedImports/);
      expect(r.out).toMatch(/Core (never imports|sits below)/);
    }
  });

  it("refuses another package's src/ or dist/ path from any package", () => {
    for (const spec of ['../../core/src/index.js', '../../core/dist/index.js']) {
      const r = biome(probe(`packages/server/src/${name}`, `import * as m from '${spec}';\n\nexport const M = m;\n`));
      expect(r.code, spec).toBe(1);
      expect(r.out).toMatch(/Import another package by its name/);
    }
  });

  it('refuses a source line over 160 columns, naming the file and line', () => {
    const long = `export const S = '${'x'.repeat(150)}';\n`;
    const path = probe(`packages/core/src/${name}`, `// a probe\n${long}`);
    const r = spawnSync(process.execPath, ['scripts/check-lines.mjs'], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 600_000,
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${path}:2: ${long.length - 1} columns (limit 160)`);
  });
});
