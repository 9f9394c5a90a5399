import { afterAll, describe, expect, it } from 'vitest';
import { embed, embedMany, rerank } from 'ai';
import { Tessera, cosine } from '@tessera/core';
import { fixtures } from '@tessera/fixtures';
import { readGolden, type ColbertGolden } from '@tessera/core/conformance';
import { closeAll, createTessera, tessera } from '../src/index.js';

const golden = readGolden<ColbertGolden>(fixtures.pylate);
const query = golden.queries[0]!.text;
const documents = golden.documents.map((d) => d.text);

afterAll(() => closeAll());

describe('@tessera/ai-sdk through the AI SDK', () => {
  it("rerank() ranks by Tessera's MaxSim: the same order and scores as Tessera directly, topN kept", async () => {
    const t = await Tessera.create({ model: fixtures.pylate, backend: 'onnx' });
    const want = await t.rerank(query, documents);
    await t.dispose();
    const got = await rerank({
      model: tessera.reranking(fixtures.pylate, { backend: 'onnx' }),
      query,
      documents,
      topN: 3,
    });
    expect(got.ranking.map((r) => r.originalIndex)).toEqual(want.slice(0, 3).map((r) => r.index));
    got.ranking.forEach((r, i) => expect(r.score).toBeCloseTo(want[i]!.score, 4));
    expect(got.rerankedDocuments).toEqual(want.slice(0, 3).map((r) => documents[r.index]));
    // The reference library's MaxSim for the golden pair (every document ranked, so document 0 is there).
    const all = await rerank({ model: tessera.reranking(fixtures.pylate, { backend: 'onnx' }), query, documents });
    expect(all.ranking).toHaveLength(documents.length);
    expect(all.ranking.find((r) => r.originalIndex === 0)!.score).toBeCloseTo(golden.maxsim[0]![0]!, 3);
  });

  it('rerank() takes object documents by their text field', async () => {
    const objects = documents.map((text, id) => ({ id, text }));
    const got = await rerank({
      model: createTessera({ backend: 'onnx' }).reranking(fixtures.pylate),
      query,
      documents: objects,
    });
    const byText = await rerank({ model: tessera.reranking(fixtures.pylate, { backend: 'onnx' }), query, documents });
    expect(got.ranking.map((r) => r.originalIndex)).toEqual(byText.ranking.map((r) => r.originalIndex));
    expect(got.rerankedDocuments[0]).toEqual(objects[got.ranking[0]!.originalIndex]);
  });

  it('embedMany() and embed() give the dense vectors of Tessera directly', async () => {
    const t = await Tessera.create({ model: fixtures.dense, backend: 'onnx' });
    const want = await t.encodeDense(documents);
    await t.dispose();
    const model = tessera.embedding(fixtures.dense, { backend: 'onnx' });
    const got = await embedMany({ model, values: documents });
    expect(got.embeddings).toHaveLength(documents.length);
    got.embeddings.forEach((e, i) => expect(cosine(Float32Array.from(e), want[i]!.data)).toBeCloseTo(1, 6));
    expect(got.usage.tokens).toBe(want.reduce((s, e) => s + e.tokens, 0));
    const one = await embed({ model, value: documents[1]! });
    expect(one.embedding).toEqual(got.embeddings[1]);
  });

  it('refuses the wrong kind of model with an error that says which', async () => {
    await expect(
      rerank({ model: tessera.reranking(fixtures.dense, { backend: 'onnx' }), query, documents }),
    ).rejects.toThrow(/is a dense \(single-vector\) model; reranking needs a ColBERT one/);
    await expect(
      embedMany({ model: tessera.embedding(fixtures.pylate, { backend: 'onnx' }), values: ['x'] }),
    ).rejects.toThrow(/is a ColBERT \(multi-vector\) model; embed \/ embedMany needs a dense one/);
  });
});
