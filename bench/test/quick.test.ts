import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));

// CI checks that the bench runs and writes valid output, never a speed.
describe('pnpm bench --quick', () => {
  it('runs the whole pipeline and writes JSON, Markdown and SVG', () => {
    const out = mkdtempSync(join(tmpdir(), 'tessera-bench-'));
    const r = spawnSync(process.execPath, [MAIN, '--quick', '--out', out], { encoding: 'utf8', timeout: 600_000 });
    expect(r.status, r.stderr).toBe(0);
    const files = readdirSync(out);
    const json = files.find((f) => f.endsWith('-quick.json'))!;
    expect(files).toContain(json.replace('.json', '.md'));
    expect(files).toContain(json.replace('.json', '.svg'));
    const res = JSON.parse(readFileSync(join(out, json), 'utf8'));
    expect(res.quick).toBe(true);
    expect(res.machine.cores).toBeGreaterThan(0);
    expect(res.cells.length).toBeGreaterThan(0);
    for (const c of res.cells) {
      for (const k of ['textsPerSec', 'tokensPerSec', 'batchMsP50', 'batchMsP95', 'peakRssMiB', 'paddingShare'])
        expect(Number.isFinite(c[k]), `${k} of ${JSON.stringify(c)}`).toBe(true);
      expect(c.textsPerSec).toBeGreaterThan(0);
      expect(c.paddingShare).toBeGreaterThanOrEqual(0);
      expect(c.paddingShare).toBeLessThan(1);
    }
    expect(new Set(res.cells.map((c: { workload: string }) => c.workload))).toEqual(
      new Set(['queries', 'docs128', 'mixed']),
    );
    expect(res.cells.some((c: { backend: string }) => c.backend === 'onnx')).toBe(true);
    expect(res.peers.results.some((p: { peer: string }) => p.peer.includes('bare'))).toBe(true);
    expect(res.maxsim.coreMs).toBeGreaterThan(0);
    // Every path scored; the engine paths agree with core's float32 ranking exactly enough.
    expect(res.maxsim.paths.map((p: { path: string }) => p.path)).toEqual(
      expect.arrayContaining(['core 1 thread', 'core int8', 'core binary']),
    );
    expect(res.maxsim.int8Top10Agreement).toBeGreaterThan(0.5);
    expect(res.batching.length).toBeGreaterThan(0);
    // Serving: the paired concurrency-1 comparison for both row formats, a ratio for every level.
    expect(res.serving.pairedC1.map((p: { format: string }) => p.format)).toEqual(['float', 'base64']);
    for (const p of res.serving.pairedC1)
      for (const k of ['directP50Ms', 'servedP50Ms', 'diffP50Ms', 'floorP50Ms'])
        expect(Number.isFinite(p[k]), `${k} of ${JSON.stringify(p)}`).toBe(true);
    // The floor and the served time are measurements: recorded, never compared here (a speed verdict).
    expect(res.serving.levels.map((l: { concurrency: number }) => l.concurrency)).toEqual([1, 16]);
    for (const l of res.serving.levels) expect(l.ratio, JSON.stringify(l)).toBeGreaterThan(0);
    expect(res.serving.offlineRuns.length).toBe(res.serving.levels.length + 1);
    // The browser section ran Tessera and bare onnxruntime-web in Chromium and MaxSim in both places
    // (the section throws when the page's and Node's scores of the same rows disagree).
    expect(res.browser.runs[0].tesseraDocsPerSec).toBeGreaterThan(0);
    expect(res.browser.runs[0].bareDocsPerSec).toBeGreaterThan(0);
    expect(res.browser.runs[0].isolated).toBe(true);
    expect(res.browser.maxsim.pageMs).toBeGreaterThan(0);
    expect(res.browser.bundleKB).toBeGreaterThan(0);
    const svg = readFileSync(join(out, json.replace('.json', '.svg')), 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('</svg>');
  }, 660_000);
});
