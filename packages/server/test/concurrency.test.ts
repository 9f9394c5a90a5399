import { describe, expect, it } from 'vitest';
import { fixtures } from '@tessera/fixtures';
import { maxDiff, post, serveFixture } from './helpers.js';

const WORDS =
  'late interaction keeps one vector per token and scores every query token against its best document token with maxsim'.split(
    ' ',
  );
/** Client k's texts: 1-4 texts of 0-60 words, different for every client. */
function textsOf(k: number): string[] {
  return Array.from({ length: 1 + (k % 4) }, (_, j) =>
    Array.from({ length: (k * 7 + j * 13) % 61 }, (_, w) => WORDS[(k + j + w) % WORDS.length]).join(' '),
  );
}

for (const [layout, dir, formatThreads] of [
  ['stanford', fixtures.stanford, 0],
  ['pylate', fixtures.pylate, 0],
  ['pylate', fixtures.pylate, 2],
] as const) {
  describe(`64 concurrent clients on the ${layout} layout, ${formatThreads} formatting threads`, () => {
    const served = serveFixture(dir, { limits: { maxBatchTokens: 2048 }, formatThreads });

    it('each get exactly what a direct call returns for their inputs, in their order', async () => {
      const { t, base } = served;
      const clients = Array.from({ length: 64 }, (_, k) => ({
        k,
        texts: textsOf(k),
        role: k % 3 === 0 ? ('query' as const) : ('document' as const),
      }));
      const answers = await Promise.all(
        clients.map((c) => post(base, '/v1/multi-vector', { input: c.texts, input_type: c.role })),
      );
      for (const c of clients) {
        const a = answers[c.k]!;
        expect(a.status).toBe(200);
        const direct = c.role === 'query' ? await t.encodeQueries(c.texts) : await t.encodeDocuments(c.texts);
        expect(a.body.data.length).toBe(c.texts.length);
        a.body.data.forEach((d: { index: number; embeddings: number[][] }, i: number) => {
          expect(d.index).toBe(i);
          expect(d.embeddings.length).toBe(direct[i]!.rows);
          expect(maxDiff(d.embeddings.flat(), direct[i]!.data)).toBeLessThanOrEqual(1e-6);
        });
      }
      // They were batched together: fewer forward passes than texts.
      const metrics = await fetch(`${base}/metrics`).then((r) => r.text());
      const batches = Number(/tessera_batch_size_count\{model="[^"]+",role="document"\} (\d+)/.exec(metrics)?.[1]);
      const docTexts = clients.filter((c) => c.role === 'document').reduce((s, c) => s + c.texts.length, 0);
      expect(batches).toBeGreaterThan(0);
      expect(batches).toBeLessThan(docTexts);
      // With formatting threads, the bodies with many rows were written on them.
      const onPool = Number(/tessera_format_duration_seconds_count\{thread="pool"\} (\d+)/.exec(metrics)?.[1] ?? 0);
      if (formatThreads) expect(onPool).toBeGreaterThan(0);
      else expect(onPool).toBe(0);
    });
  });
}

describe('a lone request on a server with formatting threads', () => {
  const served = serveFixture(fixtures.pylate, { formatThreads: 3 });

  it('has its rows written on all the threads at once, and gets the direct rows (to 1e-6)', async () => {
    const { t, base } = served;
    const texts = Array.from({ length: 6 }, (_, k) =>
      Array.from({ length: 60 }, (_, w) => WORDS[(k + w) % WORDS.length]).join(' '),
    );
    const direct = await t.encodeDocuments(texts);
    expect(direct.reduce((s, d) => s + d.data.length, 0)).toBeGreaterThan(2048);
    for (const path of ['/v1/multi-vector', '/embed_all'] as const) {
      const a = await post(base, path, path === '/embed_all' ? { inputs: texts } : { input: texts });
      expect(a.status).toBe(200);
      const rows: number[][][] =
        path === '/embed_all' ? a.body : a.body.data.map((d: { embeddings: number[][] }) => d.embeddings);
      rows.forEach((r, i) => {
        expect(r.length).toBe(direct[i]!.rows);
        expect(maxDiff(r.flat(), direct[i]!.data)).toBeLessThanOrEqual(1e-6);
      });
    }
    const metrics = await fetch(`${base}/metrics`).then((r) => r.text());
    expect(metrics).toMatch(/tessera_format_duration_seconds_count\{thread="split"\} 2\n/);
  });
});
