import { describe, expect, it } from 'vitest';
import { fixtures } from '@tessera/fixtures';
import { createServer } from '../src/index.js';
import { open, post, serveFixture, testBackend, until } from './helpers.js';

describe('errors, with the status and the field', () => {
  const served = serveFixture(fixtures.pylate, {
    name: 'colbert',
    limits: { maxClientBatchSize: 4, payloadLimit: 4096, autoTruncate: false },
  });

  it('422 for a body that does not fit the schema, naming the field', async () => {
    const { base } = served;
    const missing = await post(base, '/v1/multi-vector', { inputs: 'x' });
    expect(missing.status).toBe(422);
    expect(missing.body).toMatchObject({ error_type: 'validation' });
    expect(missing.body.error).toBe('input is required');
    const wrong = await post(base, '/v1/multi-vector', { input: ['a', 2.5] });
    expect(wrong.status).toBe(422);
    expect(wrong.body.error).toBe('input must be a string or an array of strings (input[1] is the number 2.5)');
    const dims = await post(base, '/v1/multi-vector', { input: 'x', dimensions: 0 });
    expect(dims.status).toBe(422);
    expect(dims.body.error).toBe('dimensions must be at least 1 (got the number 0)');
    const badDim = await post(base, '/v1/multi-vector', { input: 'x', dimensions: 99 });
    expect(badDim.status).toBe(422);
    expect(badDim.body.error).toMatch(/dimension 99 is not supported/);
    const empty = await post(base, '/v1/multi-vector', { input: [] });
    expect(empty.status).toBe(422);
    expect(empty.body.error).toMatch(/input must not be empty/);
    const json = await post(base, '/v1/multi-vector', '{"input": ');
    expect(json.status).toBe(400);
    expect(json.body.error_type).toBe('validation');
    expect(JSON.stringify(json.body)).not.toMatch(/\n\s+at /);
  });

  it('404 for an unknown model, in the openai shape on /v1/embeddings', async () => {
    const { base } = served;
    const r = await post(base, '/v1/embeddings', { model: 'nope', input: 'x' });
    expect(r.status).toBe(404);
    expect(r.body.error).toMatchObject({ code: 'model_not_found', param: 'model' });
    expect(r.body.error.message).toMatch(/model "nope" is not served here; served: colbert/);
  });

  it('413 for too many inputs and for a body past the payload limit', async () => {
    const { base } = served;
    const many = await post(base, '/v1/multi-vector', { input: ['a', 'b', 'c', 'd', 'e'] });
    expect(many.status).toBe(413);
    expect(many.body.error).toMatch(/input has 5 inputs; at most 4 per request \(max-client-batch-size\)/);
    const big = await post(base, '/v1/multi-vector', { input: 'x'.repeat(5000) });
    expect(big.status).toBe(413);
    expect(big.body.error_type).toBe('payload');
  });

  it('422 for an over-long input when auto-truncate is off, naming the input', async () => {
    const { base } = served;
    const r = await post(base, '/v1/multi-vector', { input: ['short', 'word '.repeat(200)] });
    expect(r.status).toBe(422);
    expect(r.body.error).toMatch(/input\[1\] is longer than the model's input limit and auto-truncate is off/);
  });
});

describe('API key', () => {
  it('is required on every route but /health, compared as a Bearer token', async () => {
    const t = await open(fixtures.dense);
    const server = await createServer({ models: [t], apiKey: 's3cret' });
    const base = await server.listen({ port: 0 });
    try {
      expect((await fetch(`${base}/health`)).status).toBe(200);
      const none = await post(base, '/embed', { inputs: 'x' });
      expect(none.status).toBe(401);
      expect(none.headers.get('www-authenticate')).toBe('Bearer');
      expect((await post(base, '/embed', { inputs: 'x' }, { authorization: 'Bearer wrong' })).status).toBe(401);
      expect((await fetch(`${base}/metrics`)).status).toBe(401);
      expect((await post(base, '/embed', { inputs: 'x' }, { authorization: 'Bearer s3cret' })).status).toBe(200);
    } finally {
      await server.close();
      await t.dispose();
    }
  });
});

describe('under load and failure', () => {
  it('answers 429 at once past max-concurrent-requests, and /health still answers', async () => {
    const { backend, state, hold } = testBackend('slow-429');
    const t = await open(fixtures.pylate, backend);
    const server = await createServer({ models: [t], limits: { maxConcurrentRequests: 2 } });
    const base = await server.listen({ port: 0 });
    const inFlight = async () => (await server.metrics.inFlight.get()).values[0]?.value ?? 0;
    const release = hold();
    try {
      // Two requests accepted and held inside the engine: every later one is past the limit.
      const accepted = [0, 1].map((i) => post(base, '/v1/multi-vector', { input: `text number ${i}` }));
      await until(async () => (await inFlight()) === 2 && state.batches.length >= 1);
      const refused = await Promise.all(
        [2, 3, 4, 5].map((i) => post(base, '/v1/multi-vector', { input: `text number ${i}` })),
      );
      for (const r of refused) {
        expect(r.status).toBe(429);
        expect(r.body).toEqual({ error: expect.stringMatching(/max-concurrent-requests/), error_type: 'overloaded' });
      }
      expect((await fetch(`${base}/health`)).status).toBe(200);
      // Refused at once: all four answered while both accepted requests were still held.
      expect(await inFlight()).toBe(2);
      release();
      for (const r of await Promise.all(accepted)) expect(r.status).toBe(200);
    } finally {
      release();
      await server.close();
      await t.dispose();
    }
  });

  it('turns a backend failure into a 500 for that batch and keeps serving', async () => {
    const { backend, state } = testBackend('failing');
    const t = await open(fixtures.pylate, backend);
    const server = await createServer({ models: [t] });
    const base = await server.listen({ port: 0 });
    try {
      state.failNext = true;
      const bad = await post(base, '/v1/multi-vector', { input: 'one' });
      expect(bad.status).toBe(500);
      expect(bad.body).toMatchObject({ error_type: 'backend' });
      expect(bad.body.error).toMatch(/planted failure/);
      expect(JSON.stringify(bad.body)).not.toMatch(/\n\s+at /);
      const good = await post(base, '/v1/multi-vector', { input: 'two' });
      expect(good.status).toBe(200);
      expect(
        (await fetch(`${base}/metrics`).then((r) => r.text())).match(
          /tessera_failures_total\{kind="backend"\} (\d+)/,
        )?.[1],
      ).toBe('1');
    } finally {
      await server.close();
      await t.dispose();
    }
  });

  it('drops the texts of a client that went away before their batch runs', async () => {
    const { backend, state, hold } = testBackend('disconnect');
    const t = await open(fixtures.pylate, backend);
    const server = await createServer({ models: [t] });
    const base = await server.listen({ port: 0 });
    // The engine holds the first batch until the second client has gone.
    const release = hold();
    try {
      const first = post(base, '/v1/multi-vector', { input: 'keeps the engine busy' });
      await until(() => state.batches.length === 1);
      const gone = new AbortController();
      const abandoned = fetch(`${base}/v1/multi-vector`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ input: 'zebra zebra zebra' }),
        signal: gone.signal,
      }).catch((e: Error) => e);
      // Queued behind the busy engine (the queue counts waiting texts, not the running batch), then abandoned.
      await until(
        async () =>
          ((await server.metrics.queueSize.get()).values.find((v) => v.labels.role === 'document')?.value ?? 0) === 1,
      );
      gone.abort();
      await abandoned;
      await until(
        async () =>
          (await server.metrics.failures.get()).values.find((v) => v.labels.kind === 'cancelled')?.value === 1,
      );
      release();
      expect((await first).status).toBe(200);
      // The engine never saw the abandoned text.
      const zebra = (await t.prepare(['zebra'], 'document'))[0]!.ids[2]!;
      expect(state.batches.some((b) => b.inputIds.includes(zebra))).toBe(false);
      // The abandoned request's slot is freed once the server has seen the client go.
      await until(async () => (await server.metrics.inFlight.get()).values[0]?.value === 0);
      const metrics = await fetch(`${base}/metrics`).then((r) => r.text());
      expect(metrics).toMatch(/tessera_queue_size\{model="[^"]+",role="document"\} 0/);
      expect(metrics).toMatch(/tessera_requests_in_flight 0/);
    } finally {
      release();
      await server.close();
      await t.dispose();
    }
  });

  it('on close: stops accepting, answers every accepted request in full, then disposes its models', async () => {
    const { backend, hold } = testBackend('shutdown');
    const t = await open(fixtures.pylate, backend);
    const server = await createServer({ models: [t], disposeModels: true });
    const base = await server.listen({ port: 0 });
    // The engine holds every batch until all three requests are accepted and close() has begun.
    const release = hold();
    const inputs = [['a', 'b', 'c'], ['a longer text with more words'], ['x', 'y']];
    const calls = inputs.map((input) => post(base, '/v1/multi-vector', { input }));
    await until(async () => (await server.metrics.inFlight.get()).values[0]?.value === inputs.length);
    const closing = server.close();
    const late = await fetch(`${base}/health`)
      .then((r) => r.status)
      .catch(() => 'refused');
    expect(late === 503 || late === 'refused').toBe(true);
    release();
    const done = await Promise.all(calls);
    done.forEach((r, i) => {
      expect(r.status).toBe(200);
      expect(r.body.data.length).toBe(inputs[i]!.length);
    });
    await closing;
    await expect(t.encodeDocuments(['x'])).rejects.toThrow(/disposed/);
  });
});
