import { copyFileSync, cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Tessera, isTesseraError, maxSimMany, topK } from '@tessera/core';
import { maxAbsDiffArrays, readGolden, type ColbertGolden } from '@tessera/core/conformance';
import { fixtures } from '@tessera/fixtures';
import { backend, listDevices, readGraphInfo } from '../src/index.js';
import { readFileSync } from 'node:fs';

const create = (model: string, extra = {}) => Tessera.create({ model, backend, device: 'cpu', threads: 2, ...extra });

async function errorOf(p: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await p;
  } catch (e) {
    return e as Error & { code?: string };
  }
  throw new Error('expected a rejection');
}

describe('ONNX graph handling', () => {
  it('reads the inputs and outputs of exported graphs', () => {
    const info = readGraphInfo(readFileSync(join(fixtures.stanford, 'onnx/model.onnx')));
    expect(info.inputs.map((i) => i.name)).toEqual(['input_ids', 'attention_mask', 'token_type_ids']);
    expect(info.outputs[0]!.name).toBe('last_hidden_state');
    expect(info.outputs[0]!.dims).toEqual(['batch', 'sequence', 32]);
    const dense = readGraphInfo(readFileSync(join(fixtures.dense, 'onnx/model.onnx')));
    expect(dense.inputs.map((i) => i.name)).toEqual(['input_ids', 'attention_mask']);
  });

  it('uses a graph that already ends in the projection without projecting twice', async () => {
    const golden = readGolden<ColbertGolden>(fixtures.pylate);
    const plain = await create(fixtures.pylate);
    const contextual = await create(fixtures.pylate, { backendOptions: { onnxFile: 'onnx/model_contextual.onnx' } });
    expect(contextual.engine).not.toMatch(/projection/);
    expect(plain.engine).toMatch(/\+ projection/);
    const texts = golden.documents.map((d) => d.text);
    const a = await plain.encodeDocuments(texts);
    const b = await contextual.encodeDocuments(texts);
    a.forEach((x, i) => expect(maxAbsDiffArrays(x.data, b[i]!.data)).toBeLessThan(1e-5));
    await plain.dispose();
    await contextual.dispose();
  });

  it('runs the int8 quantized graph (dtype q8) close to fp32', async () => {
    const golden = readGolden<ColbertGolden>(fixtures.pylate);
    const fp32 = await create(fixtures.pylate);
    const q8 = await create(fixtures.pylate, { dtype: 'q8' });
    expect(q8.engine).toMatch(/model_quantized\.onnx/);
    const docs = golden.documents.map((d) => d.text);
    const da = await fp32.encodeDocuments(docs);
    const db = await q8.encodeDocuments(docs);
    let cos = 0;
    let rows = 0;
    da.forEach((x, i) => {
      for (let k = 0; k < x.data.length; k++) cos += x.data[k]! * db[i]!.data[k]!;
      rows += x.rows;
    });
    expect(cos / rows).toBeGreaterThan(0.99);
    const [qa] = await fp32.encodeQueries([golden.queries[0]!.text]);
    const [qb] = await q8.encodeQueries([golden.queries[0]!.text]);
    const sa = maxSimMany(qa!, da);
    const sb = maxSimMany(qb!, db);
    sa.forEach((s, i) => expect(Math.abs(s - sb[i]!)).toBeLessThan(0.05 * s));
    expect(topK(sb, 10).length).toBe(10);
    await fp32.dispose();
    await q8.dispose();
  });

  it('works when the transformer sits at the root of a PyLate folder', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-root-'));
    cpSync(fixtures.pylate, dir, { recursive: true });
    for (const f of ['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json', 'vocab.txt', 'sentence_bert_config.json'])
      copyFileSync(join(dir, '0_Transformer', f), join(dir, f));
    const modules = JSON.parse(readFileSync(join(dir, 'modules.json'), 'utf8'));
    modules[0].path = '';
    writeFileSync(join(dir, 'modules.json'), JSON.stringify(modules));
    const golden = readGolden<ColbertGolden>(fixtures.pylate);
    const t = await create(dir);
    const [q] = await t.encodeQueries([golden.queries[0]!.text]);
    expect([...q!.tokenIds]).toEqual(golden.queries[0]!.input_ids);
    await t.dispose();
  });
});

describe('ONNX errors', () => {
  it('names the folder when there is no ONNX graph', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-noonnx-'));
    cpSync(fixtures.stanford, dir, { recursive: true, filter: (src) => !src.includes('onnx') });
    const e = await errorOf(create(dir));
    expect(e.code).toBe('INVALID_MODEL');
    expect(e.message).toMatch(/no ONNX graph/);
  });

  it('reports a corrupt graph file as CORRUPT_FILE', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-corrupt-'));
    cpSync(fixtures.stanford, dir, { recursive: true });
    writeFileSync(join(dir, 'onnx/model.onnx'), Buffer.from('this is not a protobuf at all, just text'));
    const e = await errorOf(create(dir));
    expect(e.code).toBe('CORRUPT_FILE');
    expect(e.message).toContain('model.onnx');
  });

  it('rejects a graph whose inputs do not fit a text encoder', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-badin-'));
    cpSync(fixtures.stanford, dir, { recursive: true });
    // The dense fixture's graph outputs 32-wide rows too, but rename an input byte-for-byte.
    const bytes = readFileSync(join(dir, 'onnx/model.onnx'));
    const patched = Buffer.from(bytes.toString('latin1').replaceAll('token_type_ids', 'pixel_valuesXX'), 'latin1');
    writeFileSync(join(dir, 'onnx/model.onnx'), patched);
    const e = await errorOf(create(dir));
    expect(e.code).toBe('INVALID_MODEL');
    expect(e.message).toMatch(/pixel_valuesXX/);
  });

  it('rejects a Matryoshka dimension the model does not declare', async () => {
    const e = await errorOf(create(fixtures.stanford, { dimension: 7 }));
    expect(e.code).toBe('UNSUPPORTED_DIMENSION');
    expect(e.message).toMatch(/supported: 24/);
  });

  it('truncates to a declared Matryoshka dimension and renormalizes', async () => {
    const t = await create(fixtures.stanford, { dimensions: [24, 16, 8], dimension: 8 });
    const [d] = await t.encodeDocuments(['hello world']);
    expect(d!.dim).toBe(8);
    for (let r = 0; r < d!.rows; r++) {
      let s = 0;
      for (let j = 0; j < 8; j++) s += d!.data[r * 8 + j]! ** 2;
      expect(Math.abs(Math.sqrt(s) - 1)).toBeLessThan(1e-5);
    }
    await t.dispose();
  });
});

describe('ONNX devices', () => {
  it('lists cpu, and cuda only as available when the provider library exists', () => {
    const devices = listDevices();
    expect(devices[0]).toMatchObject({ id: 'cpu', available: true });
    const cuda = devices.find((d) => d.kind === 'cuda');
    if (cuda && !cuda.available) expect(cuda.detail).toMatch(/ONNXRUNTIME_NODE_INSTALL=cuda12/);
  });

  it('falls back to cpu with a warning when cuda is missing, and throws in strict mode', async () => {
    if (listDevices().find((d) => d.kind === 'cuda')?.available) return; // A GPU machine: nothing to fall back from.
    const warnings: string[] = [];
    const t = await Tessera.create({ model: fixtures.stanford, backend, device: 'cuda', onWarning: (w) => warnings.push(w) });
    expect(t.device).toBe('cpu');
    expect(warnings.join('\n')).toMatch(/cuda.*falling back to cpu/i);
    await t.dispose();
    const e = await errorOf(Tessera.create({ model: fixtures.stanford, backend, device: 'cuda:0', strict: true }));
    expect(isTesseraError(e, 'DEVICE_UNAVAILABLE')).toBe(true);
  });
});
