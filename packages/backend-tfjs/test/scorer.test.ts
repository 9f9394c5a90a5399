import { describe, expect, it } from 'vitest';
import { maxSim, type RowMatrix } from '@tessera/core';
import { rowMajor } from '@tessera/core/backend';
import { loadEngine, tfjsScorer } from '../src/index.js';

function rows(seed: number, n: number, dim: number): RowMatrix {
  let s = seed;
  const data = Float32Array.from(
    { length: n * dim },
    () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648 - 0.5,
  );
  return { rows: n, dim, data };
}

// The scorer tfjs-node offers, checked on the WASM engine (tfjs-node cannot install here).
describe('tfjs matMul scorer', () => {
  it('equals the reference MaxSim on ragged and empty documents, one query and many', async () => {
    const engine = await loadEngine(['wasm'], 1);
    const docs = [0, 1, 3, 8, 9, 40, 130, 2].map((n, i) => rows(10 + i, n, 24));
    const s = tfjsScorer(engine.tf, rowMajor(docs, 24).packed, 'test');
    const queries = [rows(1, 5, 24), rows(2, 1, 24), rows(3, 9, 24)];
    const many = await s.scoreMany!(queries);
    const one = await s.score(queries[0]!);
    queries.forEach((q, j) => docs.forEach((d, i) => expect(many[j]![i]).toBeCloseTo(maxSim(q, d), 4)));
    docs.forEach((d, i) => expect(one[i]).toBeCloseTo(maxSim(queries[0]!, d), 4));
    expect(one[0]).toBe(0);
    const before = engine.tf.memory().numTensors;
    await s.dispose();
    expect(engine.tf.memory().numTensors).toBeLessThan(before);
    await expect(s.score(queries[0]!)).rejects.toThrow(/disposed/);
  });
});

describe('a tfjs-node the user installed beside the backend (pnpm does not link it here)', () => {
  it('is imported from the project in the working directory when this package cannot resolve it', async () => {
    const { mkdtempSync, mkdirSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { importFromProject } = await import('../src/engine.js');
    const project = mkdtempSync(join(tmpdir(), 'tessera-tfjs-project-'));
    writeFileSync(join(project, 'package.json'), '{"name":"p","private":true}');
    const pkg = join(project, 'node_modules', 'tessera-test-fake-tfjs-node');
    mkdirSync(pkg, { recursive: true });
    writeFileSync(join(pkg, 'package.json'), '{"name":"tessera-test-fake-tfjs-node","main":"index.js"}');
    writeFileSync(join(pkg, 'index.js'), 'exports.getBackend = () => "tensorflow";');
    const mod = (await importFromProject('tessera-test-fake-tfjs-node', project)) as {
      getBackend?: () => string;
      default?: { getBackend: () => string };
    };
    expect((mod.getBackend ?? mod.default!.getBackend)()).toBe('tensorflow');
    await expect(importFromProject('tessera-test-not-installed-anywhere', project)).rejects.toMatchObject({
      code: 'ERR_MODULE_NOT_FOUND',
    });
  });
});
