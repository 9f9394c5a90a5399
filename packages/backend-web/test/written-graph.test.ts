import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Tessera } from '@tessera/core';
import { runConformanceSuite } from '@tessera/core/conformance';
import { fixtureList } from '@tessera/fixtures';
import { backend } from '../src/index.js';

/** A copy of a fixture folder without its ONNX graphs: the checkpoint's safetensors only. */
function weightsOnly(dir: string): string {
  const to = mkdtempSync(join(tmpdir(), 'tessera-web-weights-'));
  cpSync(dir, to, { recursive: true, filter: (p) => !p.split(sep).includes('onnx') });
  return to;
}

// Every main fixture (each architecture and layout) with its graphs removed: the backend writes
// the encoder graph from the weights in memory (@tessera/onnx-graph) and must match the same
// goldens as the served graphs do.
const copies = fixtureList.filter((f) => !f.variant).map((f) => ({ ...f, dir: weightsOnly(f.dir) }));
runConformanceSuite({ backend, fixtures: copies, createOptions: { threads: 1 }, battery: false });

describe('a folder without an ONNX graph', () => {
  it('gets one written from its safetensors, saying so, at every dtype Tessera writes', async () => {
    const pylate = copies.find((f) => f.name === 'pylate')!;
    const warnings: string[] = [];
    const rows: { data: Float32Array; rows: number }[] = [];
    for (const dtype of ['fp32', 'q8', 'fp16'] as const) {
      const t = await Tessera.create({
        model: pylate.dir,
        backend,
        threads: 1,
        dtype,
        onWarning: (w) => warnings.push(w),
      });
      expect(t.engine).toContain('a graph written from the weights');
      rows.push((await t.encodeDocuments(['a document about the harbour at dawn']))[0]!);
      await t.dispose();
    }
    expect(warnings.join('\n')).toMatch(
      /no ONNX graph for dtype fp32, so one was written in the page from .*model\.safetensors \([\d.]+ MB\)/,
    );
    expect(warnings.join('\n')).toMatch(/dtype q8/);
    expect(warnings.join('\n')).toMatch(/dtype fp16/);
    // q8 and fp16 are the same model in fewer bits: close to fp32 (mean row cosine), not equal.
    for (const other of rows.slice(1)) {
      const dot = other.data.reduce((sum, v, i) => sum + v * rows[0]!.data[i]!, 0);
      expect(dot / other.rows).toBeGreaterThan(0.95);
      expect(other.data).not.toEqual(rows[0]!.data);
    }
  });

  it('without weights either, or at a dtype Tessera does not write, is refused saying what to serve', async () => {
    const bare = weightsOnly(fixtureList.find((f) => f.name === 'pylate')!.dir);
    rmSync(join(bare, '0_Transformer', 'model.safetensors'));
    const none = await Tessera.create({ model: bare, backend, threads: 1 }).catch((e: Error) => e);
    expect((none as Error).message).toMatch(
      /no ONNX graph for dtype fp32 .*and no model\.safetensors to write one from: export one with `tessera export`/,
    );
    const pylate = copies.find((f) => f.name === 'pylate')!;
    const q4 = await Tessera.create({ model: pylate.dir, backend, threads: 1, dtype: 'q4' }).catch((e: Error) => e);
    expect((q4 as Error).message).toMatch(/dtype q4 is not one Tessera writes \(fp32, fp16, q8\)/);
  });
});
