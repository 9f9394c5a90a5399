import { describe, expect, it } from 'vitest';
import { fixtures } from '@tessera/fixtures';
import { post, serveFixture } from './helpers.js';

/** Each route's text field, and a body that is otherwise right for it. */
const ROUTES = [
  { path: '/v1/embeddings', field: 'input', body: (v: unknown) => ({ input: v, return_multivector: true }) },
  { path: '/v1/multi-vector', field: 'input', body: (v: unknown) => ({ input: v }) },
  { path: '/embed_all', field: 'inputs', body: (v: unknown) => ({ inputs: v }) },
  { path: '/rerank', field: 'texts', body: (v: unknown) => ({ query: 'q', texts: v }) },
  { path: '/rerank', field: 'query', body: (v: unknown) => ({ query: v, texts: ['a'] }) },
];

/** The message, in the shape each route's clients read: OpenAI's error.message, TEI's and Jina's error. */
const messageOf = (path: string, body: any): string => (path === '/v1/embeddings' ? body.error.message : body.error);

describe('error bodies say what to send instead, in the route’s own words', () => {
  const served = serveFixture(fixtures.pylate);
  const dense = serveFixture(fixtures.dense);

  it('refuses token ids on every route, naming the field and saying to send text', async () => {
    for (const r of ROUTES)
      for (const ids of [
        [101, 2054, 102],
        [
          [101, 2054, 102],
          [101, 7, 102],
        ],
      ]) {
        const res = await post(served.base, r.path, r.body(ids));
        expect(res.status, `${r.path} ${r.field}`).toBe(422);
        const msg = messageOf(r.path, res.body);
        expect(msg).toMatch(new RegExp(`^${r.field} holds token ids; send text instead`));
        expect(msg).toMatch(/token ids are tokenizer-specific/);
        // LangChain's OpenAIEmbeddings is the client that sends them, on OpenAI's route.
        if (r.path === '/v1/embeddings') {
          expect(msg).toMatch(/check_embedding_ctx_length=False/);
          expect(res.body.error).toMatchObject({ type: 'invalid_request_error', param: r.field });
        } else expect(msg).not.toMatch(/LangChain/);
      }
    const embed = await post(dense.base, '/embed', { inputs: [101, 2054, 102] });
    expect(embed.status).toBe(422);
    expect(embed.body.error).toMatch(/^inputs holds token ids; send text instead/);
  });

  it("names the field and what it held for any other wrong type, in the route's field names", async () => {
    for (const r of ROUTES) {
      const res = await post(served.base, r.path, r.body({ text: 'x' }));
      expect(res.status, r.path).toBe(422);
      const want =
        r.field === 'texts'
          ? 'texts must be an array (got an object)'
          : r.field === 'query'
            ? 'query must be a string (got an object)'
            : `${r.field} must be a string or an array of strings (got an object)`;
      expect(messageOf(r.path, res.body)).toBe(want);
    }
    const missing = await post(served.base, '/embed_all', { input: 'the OpenAI field on a TEI route' });
    expect(missing.body.error).toBe('inputs is required');
    const kind = await post(served.base, '/v1/multi-vector', { input: 'x', input_type: 'passage' });
    expect(kind.body.error).toBe('input_type must be one of "query", "document" (got a string)');
    const notObject = await post(served.base, '/v1/multi-vector', '["a"]');
    expect(notObject.status).toBe(422);
    expect(notObject.body.error).toBe('the body must be a JSON object (got an array holding a string)');
  });

  it('reads a body with a __proto__ key as the JSON it is (the key dropped, nothing polluted)', async () => {
    const res = await post(served.base, '/v1/multi-vector', '{"input": "hello", "__proto__": {"polluted": 1}}');
    expect(res.status).toBe(200);
    expect(res.body.data[0].embeddings.length).toBeGreaterThan(0);
    expect(({} as { polluted?: number }).polluted).toBeUndefined();
    const nested = await post(served.base, '/v1/multi-vector', '{"input": "hello", "constructor": {"prototype": {}}}');
    expect(nested.status).toBe(200);
  });
});
