import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Tessera } from '@tessera/core';
import { startFakeHub, type FakeHub } from '@tessera/core/testing';
import { fixtures } from '@tessera/fixtures';
import { backend, graphFiles } from '../src/index.js';

let hub: FakeHub;
// A repo as colbertv2.0 is published: safetensors weights and no ONNX graph.
const noGraph = mkdtempSync(join(tmpdir(), 'tessera-no-graph-'));
cpSync(fixtures.stanford, noGraph, { recursive: true, filter: (src) => basename(src) !== 'onnx' });
beforeAll(async () => {
  hub = await startFakeHub([
    { id: 'tessera-test/pylate', dir: fixtures.pylate },
    { id: 'tessera-test/no-graph', dir: noGraph },
  ]);
});
afterAll(() => hub?.close());

/** The files asked of the fake hub (each is resolved once: HEAD, then GET or a CDN redirect), by path. */
const fetched = (from: number) =>
  hub.log
    .slice(from)
    .map((l) => /^HEAD \/tessera-test\/pylate\/resolve\/[^/]+\/(\S+)/.exec(l)?.[1])
    .filter((f): f is string => !!f);

describe("the ONNX backend's files()", () => {
  it('names the graph for the dtype and its external data, else the safetensors weights', () => {
    const files = ['onnx/model.onnx', 'onnx/model.onnx_data', 'onnx/model_quantized.onnx', 'model.safetensors'];
    expect(graphFiles({ files, transformerDir: '' })).toEqual(['onnx/model.onnx', 'onnx/model.onnx_data']);
    expect(graphFiles({ files, transformerDir: '', dtype: 'q8' })).toEqual(['onnx/model_quantized.onnx']);
    expect(graphFiles({ files: ['0_Transformer/onnx/model.onnx'], transformerDir: '0_Transformer/' })).toEqual([
      '0_Transformer/onnx/model.onnx',
    ]);
    expect(graphFiles({ files, transformerDir: '', dtype: 'fp16' })).toEqual(['model.safetensors']);
    expect(() => graphFiles({ files, transformerDir: '', dtype: 'fp8' })).toThrow(/unknown dtype "fp8"/);
  });

  it('is what Tessera.create fetches from the hub: one graph, no safetensors backbone, no other graph', async () => {
    for (const [dtype, graph] of [
      [undefined, 'onnx/model.onnx'],
      ['q8', 'onnx/model_quantized.onnx'],
    ] as const) {
      const from = hub.log.length;
      const t = await Tessera.create({
        model: 'tessera-test/pylate',
        backend,
        device: 'cpu',
        dtype,
        hub: { endpoint: hub.endpoint, cacheDir: mkdtempSync(join(tmpdir(), 'tessera-hub-')) },
      });
      const got = fetched(from);
      expect(got).toContain(graph);
      expect(got.filter((f) => f.endsWith('.onnx'))).toEqual([graph]);
      expect(got).not.toContain('0_Transformer/model.safetensors');
      // What every backend gets: configs, tokenizer and the projection layers.
      expect(got).toEqual(
        expect.arrayContaining(['modules.json', '0_Transformer/tokenizer.json', '1_Dense/model.safetensors']),
      );
      expect((await t.encodeQueries(['hello']))[0]!.dim).toBe(t.dimension);
      await t.dispose();
    }
  });

  it('a repo without a graph: fetches the safetensors weights, exports on load, and encodes as the graph does', async () => {
    process.env.TESSERA_CACHE = mkdtempSync(join(tmpdir(), 'tessera-export-cache-'));
    const from = hub.log.length;
    const warnings: string[] = [];
    const t = await Tessera.create({
      model: 'tessera-test/no-graph',
      backend,
      device: 'cpu',
      hub: { endpoint: hub.endpoint, cacheDir: mkdtempSync(join(tmpdir(), 'tessera-hub-')) },
      onWarning: (m) => warnings.push(m),
    });
    const got = hub.log
      .slice(from)
      .map((l) => /^HEAD \/tessera-test\/no-graph\/resolve\/[^/]+\/(\S+)/.exec(l)?.[1])
      .filter(Boolean);
    expect(got).toContain('model.safetensors');
    expect(warnings.join('\n')).toMatch(/exported one from its safetensors weights/);
    const reference = await Tessera.create({ model: fixtures.stanford, backend, device: 'cpu' });
    const [a] = await t.encodeDocuments(['a passage about the sea']);
    const [b] = await reference.encodeDocuments(['a passage about the sea']);
    expect(a!.rows).toBe(b!.rows);
    for (let k = 0; k < a!.data.length; k++) expect(Math.abs(a!.data[k]! - b!.data[k]!)).toBeLessThan(1e-4);
    await t.dispose();
    await reference.dispose();
  });
});
