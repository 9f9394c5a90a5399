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
    for (const f of [
      'config.json',
      'model.safetensors',
      'tokenizer.json',
      'tokenizer_config.json',
      'vocab.txt',
      'sentence_bert_config.json',
    ])
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
  it('names the folder when there is no ONNX graph and no weights to export one from', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-noonnx-'));
    cpSync(fixtures.distilbert, dir, {
      recursive: true,
      filter: (src) => !src.includes('onnx') && !src.endsWith(`${fixtures.distilbert}/model.safetensors`),
    });
    const e = await errorOf(create(dir));
    expect(e.code).toBe('INVALID_MODEL');
    expect(e.message).toContain(dir);
    expect(e.message).toMatch(/no ONNX graph for dtype fp32 .*no model\.safetensors to export one from/);
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

  it('rejects dimensions the model does not declare, and values that are not positive integers', async () => {
    const declared = await errorOf(create(fixtures.stanford, { dimensions: [24, 16, 8], dimension: 7 }));
    expect(declared.code).toBe('UNSUPPORTED_DIMENSION');
    expect(declared.message).toMatch(/supported: 24, 16, 8/);
    const wide = await errorOf(create(fixtures.stanford, { dimension: 25 }));
    expect(wide.code).toBe('UNSUPPORTED_DIMENSION');
    expect(wide.message).toMatch(/at most 24/);
    for (const bad of [0, -8, 1.5, Number.NaN]) {
      const e = await errorOf(create(fixtures.stanford, { dimension: bad }));
      expect(e.code, String(bad)).toBe('INVALID_OPTION');
      expect(e.message).toMatch(/dimension must be a positive integer/);
    }
    const t = await create(fixtures.stanford);
    await expect(t.encodeDocuments(['x'], { dimension: 0 })).rejects.toThrow(
      /dimension must be a positive integer \(got 0\)/,
    );
    await t.dispose();
  });

  it('truncates ColBERT rows to a Matryoshka dimension: the leading elements of each full row, renormalized', async () => {
    const full = await create(fixtures.stanford);
    const t = await create(fixtures.stanford, { dimensions: [24, 16, 8], dimension: 8 });
    const [d] = await t.encodeDocuments(['hello world, again']);
    const [f] = await full.encodeDocuments(['hello world, again']);
    expect(d!.dim).toBe(8);
    expect(d!.rows).toBe(f!.rows);
    for (let r = 0; r < d!.rows; r++) {
      const head = f!.data.slice(r * 24, r * 24 + 8);
      const norm = Math.hypot(...head);
      for (let j = 0; j < 8; j++) expect(Math.abs(d!.data[r * 8 + j]! - head[j]! / norm)).toBeLessThan(1e-5);
    }
    await t.dispose();
    await full.dispose();
  });

  it('runs an fp16 graph: the projection is appended after a cast to float32', async () => {
    const golden = readGolden<ColbertGolden>(fixtures.pylate);
    const t = await create(fixtures.pylate, { dtype: 'fp16' });
    expect(t.engine).toMatch(/model_fp16\.onnx \+ projection/);
    const docs = await t.encodeDocuments(golden.documents.map((d) => d.text));
    docs.forEach((d, i) => {
      expect(d.rows).toBe(golden.documents[i]!.embeddings.length);
      // float16 activations: agreement to about 1e-2, not the float32 1e-4.
      golden.documents[i]!.embeddings.forEach((row, r) =>
        row.forEach((v, j) => expect(Math.abs(d.data[r * d.dim + j]! - v)).toBeLessThan(3e-2)),
      );
    });
    await t.dispose();
  });

  it('refuses to stream dense vectors from a ColBERT model, and ColBERT roles from a dense one', async () => {
    const c = await create(fixtures.stanford);
    const d = await create(fixtures.dense);
    const drain = async (g: AsyncGenerator<unknown>) => {
      for await (const _ of g);
    };
    await expect(drain(c.encodeStream(['x'], { as: 'dense' }))).rejects.toThrow(
      /ColBERT model; stream queries or documents/,
    );
    await expect(drain(d.encodeStream(['x'], { as: 'query' }))).rejects.toThrow(/dense model; stream with as: 'dense'/);
    // A name Object.prototype holds is no prompt of the folder.
    await expect(d.encodeDense(['x'], { promptName: 'toString' })).rejects.toThrow(
      /prompt "toString" is not one of .*prompts \(none\)/,
    );
    await c.dispose();
    await d.dispose();
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
    const t = await Tessera.create({
      model: fixtures.stanford,
      backend,
      device: 'cuda',
      onWarning: (w) => warnings.push(w),
    });
    expect(t.device).toBe('cpu');
    expect(warnings.join('\n')).toMatch(/cuda.*falling back to cpu/i);
    await t.dispose();
    const e = await errorOf(Tessera.create({ model: fixtures.stanford, backend, device: 'cuda:0', strict: true }));
    expect(isTesseraError(e, 'DEVICE_UNAVAILABLE')).toBe(true);
  });
});
