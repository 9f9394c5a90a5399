import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maxSimMany, topK, type Tessera } from '@tessera/core';
import { fixtures } from '@tessera/fixtures';
import { createServer, packBits, type TesseraServer } from '../src/index.js';
import { maxDiff, open, post } from './helpers.js';

const DOCS = [
  'Paris is the capital of France.',
  'Bananas are yellow and rich in potassium.',
  '',
  'ColBERT scores a query against every document token with MaxSim.',
];

describe('the routes, called as their clients call them', () => {
  let colbert: Tessera;
  let dense: Tessera;
  let server: TesseraServer;
  let base: string;

  beforeAll(async () => {
    colbert = await open(fixtures.pylate);
    dense = await open(fixtures.dense);
    server = await createServer({
      models: [
        { name: 'colbert', tessera: colbert },
        { name: 'dense', tessera: dense },
      ],
    });
    base = await server.listen({ port: 0 });
  });
  afterAll(async () => {
    await server.close();
    await colbert.dispose();
    await dense.dispose();
  });

  it('answers the official openai client unchanged (base64 by default, floats, Matryoshka dimensions)', async () => {
    const client = new OpenAI({ baseURL: `${base}/v1`, apiKey: 'unused' });
    const direct = await dense.encodeDense(DOCS);
    const r = await client.embeddings.create({ model: 'dense', input: DOCS });
    expect(r.object).toBe('list');
    expect(r.data.map((d) => d.index)).toEqual([0, 1, 2, 3]);
    r.data.forEach((d, i) => expect(maxDiff(d.embedding, direct[i]!.data)).toBeLessThan(1e-6));
    expect(r.usage.prompt_tokens).toBe(direct.reduce((s, x) => s + x.tokens, 0));
    const floats = await client.embeddings.create({ model: 'dense', input: 'one text', encoding_format: 'float' });
    expect(maxDiff(floats.data[0]!.embedding, (await dense.encodeDense(['one text']))[0]!.data)).toBeLessThan(1e-6);
    const small = await client.embeddings.create({ model: 'dense', input: DOCS, dimensions: 16 });
    const directSmall = await dense.encodeDense(DOCS, { dimension: 16 });
    small.data.forEach((d, i) => {
      expect(d.embedding.length).toBe(16);
      expect(maxDiff(d.embedding, directSmall[i]!.data)).toBeLessThan(1e-6);
    });
  });

  it('refuses single vectors from a ColBERT model, pointing at the multi-vector route, and returns them under "embeddings" when asked', async () => {
    const no = await post(base, '/v1/embeddings', { model: 'colbert', input: 'x' });
    expect(no.status).toBe(400);
    expect(no.body.error.message).toMatch(
      /ColBERT \(multi-vector\) model.*POST \/v1\/multi-vector, or pass return_multivector: true/,
    );
    expect(no.body.error.param).toBe('return_multivector');
    const client = new OpenAI({ baseURL: `${base}/v1`, apiKey: 'unused' });
    await expect(client.embeddings.create({ model: 'colbert', input: 'x' })).rejects.toThrow(/multi-vector/);
    const yes = await post(base, '/v1/embeddings', { model: 'colbert', input: DOCS, return_multivector: true });
    expect(yes.status).toBe(200);
    const direct = await colbert.encodeDocuments(DOCS);
    yes.body.data.forEach((d: { embeddings: number[][]; embedding?: unknown }, i: number) => {
      expect(d.embedding).toBeUndefined();
      expect(d.embeddings.length).toBe(direct[i]!.rows);
      expect(maxDiff(d.embeddings.flat(), direct[i]!.data)).toBeLessThan(1e-6);
    });
  });

  it('serves Jina-style multi-vector embeddings: roles, float, binary, ubinary and base64 rows', async () => {
    const [q] = await colbert.encodeQueries(['what is colbert?']);
    const f = await post(base, '/v1/multi-vector', {
      input: ['what is colbert?'],
      input_type: 'query',
      embedding_type: 'float',
    });
    expect(f.status).toBe(200);
    expect(f.body).toMatchObject({ object: 'list', model: 'colbert' });
    expect(f.body.usage.total_tokens).toBe(q!.tokens);
    expect(f.body.data[0].embeddings.length).toBe(q!.rows);
    expect(maxDiff(f.body.data[0].embeddings.flat(), q!.data)).toBeLessThan(1e-6);
    const rows = (e: { data: Float32Array; rows: number; dim: number }) =>
      Array.from({ length: e.rows }, (_, r) => e.data.subarray(r * e.dim, (r + 1) * e.dim));
    const [d] = await colbert.encodeDocuments([DOCS[0]!]);
    const ub = await post(base, '/v1/multi-vector', { input: DOCS[0], embedding_type: 'ubinary' });
    expect(ub.body.data[0].embeddings).toEqual(rows(d!).map((r) => packBits(r, false)));
    // Most significant bit first, as numpy's packbits and the Jina API.
    expect(packBits(Float32Array.from([1, -1, -1, -1, -1, -1, -1, 1, 0.5]), false)).toEqual([129, 128]);
    const bin = await post(base, '/v1/multi-vector', { input: DOCS[0], embedding_type: 'binary' });
    expect(bin.body.data[0].embeddings).toEqual(rows(d!).map((r) => packBits(r, true)));
    const b64 = await post(base, '/v1/multi-vector', { input: DOCS[0], embedding_type: 'base64' });
    const decoded = b64.body.data[0].embeddings.map((s: string) =>
      Array.from(new Float32Array(new Uint8Array(Buffer.from(s, 'base64')).buffer)),
    );
    expect(maxDiff(decoded.flat(), d!.data)).toBe(0);
    const small = await post(base, '/v1/multi-vector', { input: DOCS[0], dimensions: 8 });
    expect(small.body.data[0].embeddings[0].length).toBe(8);
  });

  it('serves TEI routes: /embed, /embed_all and /rerank sorted by MaxSim', async () => {
    const e = await post(base, '/embed', { model: 'dense', inputs: DOCS });
    expect(e.status).toBe(200);
    const direct = await dense.encodeDense(DOCS);
    e.body.forEach((v: number[], i: number) => expect(maxDiff(v, direct[i]!.data)).toBeLessThan(1e-6));
    const all = await post(base, '/embed_all', { inputs: DOCS[3] });
    const [d] = await colbert.encodeDocuments([DOCS[3]!]);
    expect(all.body[0].length).toBe(d!.rows);
    expect(maxDiff(all.body[0].flat(), d!.data)).toBeLessThan(1e-6);
    const r = await post(base, '/rerank', { query: 'capital of france', texts: DOCS, top_k: 3, return_text: true });
    expect(r.status).toBe(200);
    const [q] = await colbert.encodeQueries(['capital of france']);
    const want = topK(maxSimMany(q!, await colbert.encodeDocuments(DOCS)), 3);
    expect(r.body.map((x: { index: number }) => x.index)).toEqual(want.map((w) => w.index));
    r.body.forEach((x: { score: number; text: string; index: number }, i: number) => {
      expect(Math.abs(x.score - want[i]!.score)).toBeLessThan(1e-5);
      expect(x.text).toBe(DOCS[x.index]);
    });
    expect(r.headers.get('x-compute-tokens')).toMatch(/^\d+$/);
  });

  it('reports timing headers, /health, /info and Prometheus /metrics', async () => {
    const r = await post(base, '/v1/multi-vector', { input: DOCS });
    for (const h of ['x-queue-time', 'x-inference-time', 'x-total-time', 'x-compute-tokens'])
      expect(r.headers.get(h), h).toMatch(/^\d+$/);
    expect(Number(r.headers.get('x-total-time'))).toBeGreaterThanOrEqual(Number(r.headers.get('x-inference-time')));
    expect((await fetch(`${base}/health`)).status).toBe(200);
    const info = await (await fetch(`${base}/info`)).json();
    expect(info).toMatchObject({
      max_batch_tokens: 16384,
      max_concurrent_requests: 512,
      max_client_batch_size: 32,
      auto_truncate: true,
      format_threads: 0,
    });
    expect(
      info.models.map((m: { name: string; kind: string; backend: string }) => [m.name, m.kind, m.backend]),
    ).toEqual([
      ['colbert', 'colbert', 'onnx'],
      ['dense', 'dense', 'onnx'],
    ]);
    // On CPU the model's measured budget is below the server's ceiling and is what batches use.
    expect(info.models[0]).toMatchObject({ batch_tokens: 1024, batch_size: 16 });
    const metrics = await (await fetch(`${base}/metrics`)).text();
    for (const name of [
      'tessera_request_duration_seconds_bucket',
      'tessera_queue_duration_seconds',
      'tessera_inference_duration_seconds',
      'tessera_queue_size',
      'tessera_batch_size',
      'tessera_batch_tokens',
      'tessera_batch_fill',
      'tessera_padding_share',
      'tessera_requests_in_flight',
      'tessera_format_duration_seconds',
    ])
      expect(metrics, name).toContain(name);
    expect(metrics).toMatch(/tessera_batch_size_count\{model="colbert",role="document"\} [1-9]/);
    // On CPU no formatting threads: every body was written on the main thread.
    expect(metrics).toMatch(/tessera_format_duration_seconds_count\{thread="main"\} [1-9]/);
  });
});
