import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tarballProblems } from '@tessera/core/testing';
import { loadModelSpec } from '@tessera/core';
import { readEncoderWeights } from '@tessera/core/browser';
import { fixtures } from '@tessera/fixtures';
import { encoderGraph, OnnxGraph, readGraphInfo } from '../src/index.js';

const src = fileURLToPath(new URL('../src/', import.meta.url));

describe('@tessera/onnx-graph', () => {
  it('imports nothing Node-only, so a page can build graphs with it', () => {
    for (const file of readdirSync(src)) {
      const text = readFileSync(`${src}${file}`, 'utf8');
      expect(text, file).not.toMatch(
        /from ['"]node:|from ['"](fs|path|os|crypto|worker_threads)['"]|\bBuffer\.|\bprocess\./,
      );
      expect(text, file).not.toMatch(/from ['"]@tessera\/core['"]|@tessera\/core\/backend/);
    }
  });

  it('writes graphs that it reads back: inputs, outputs, their types and dynamic axes', () => {
    const g = new OnnxGraph('test', 17, 'tessera');
    g.input('x', 'float32', ['batch', 4]);
    g.node('Identity', ['x'], {}, ['y']);
    g.output('y', 'float32', ['batch', 4]);
    const info = readGraphInfo(g.toBytes());
    expect(info.inputs).toEqual([{ name: 'x', elemType: 1, dims: ['batch', 4] }]);
    expect(info.outputs).toEqual([{ name: 'y', elemType: 1, dims: ['batch', 4] }]);
    expect(info.opsetVersion).toBe(17);
  });

  it("builds a checkpoint's encoder graph from its safetensors (the graph ONNX Runtime runs is checked in the backends)", async () => {
    const spec = await loadModelSpec(fixtures.pylate);
    const graph = encoderGraph(spec, await readEncoderWeights(spec, 'web'), {
      dtype: 'fp32',
      opset: 17,
      projection: false,
    });
    const info = readGraphInfo(graph.bytes);
    expect(info.inputs.map((i) => i.name)).toEqual(graph.inputs);
    expect(info.outputs).toEqual([
      { name: 'last_hidden_state', elemType: 1, dims: ['batch', 'sequence', spec.hiddenSize] },
    ]);
  });

  it('packs into a tarball with every file its package.json names', () => {
    const { problems, files } = tarballProblems(fileURLToPath(new URL('..', import.meta.url)));
    expect(problems).toEqual([]);
    expect(files).toContain('dist/index.js');
  });
});
