import { afterAll, describe, expect, it } from 'vitest';
import { ContextualCompressionRetriever } from '@langchain/classic/retrievers/contextual_compression';
import { MemoryVectorStore } from '@langchain/classic/vectorstores/memory';
import { Document } from '@langchain/core/documents';
import { Tessera, toRows } from '@tessera/core';
import { fixtures } from '@tessera/fixtures';
import { readGolden, type ColbertGolden } from '@tessera/core/conformance';
import { TesseraEmbeddings, TesseraMultiVectorEmbeddings, TesseraReranker } from '../src/index.js';

const golden = readGolden<ColbertGolden>(fixtures.pylate);
const query = golden.queries[0]!.text;
const texts = golden.documents.map((d) => d.text);
const reranker = new TesseraReranker({ model: fixtures.pylate, backend: 'onnx', topK: 2 });
const embeddings = new TesseraEmbeddings({ model: fixtures.dense, backend: 'onnx' });
afterAll(async () => {
  await reranker.dispose();
  await embeddings.dispose();
});

describe('@tessera/langchain in a LangChain retriever chain', () => {
  it('a ContextualCompressionRetriever over a vector store keeps the 2 best documents by MaxSim, scores in metadata', async () => {
    const store = await MemoryVectorStore.fromTexts(
      texts,
      texts.map((_, id) => ({ id })),
      embeddings,
    );
    const retriever = new ContextualCompressionRetriever({
      baseCompressor: reranker,
      baseRetriever: store.asRetriever(texts.length),
    });
    const got = await retriever.invoke(query);
    const t = await Tessera.create({ model: fixtures.pylate, backend: 'onnx' });
    const want = await t.rerank(query, texts, { topK: 2 });
    await t.dispose();
    expect(got.map((d) => d.metadata.id)).toEqual(want.map((r) => r.index));
    got.forEach((d, i) => expect(d.metadata.relevanceScore).toBeCloseTo(want[i]!.score, 4));
    expect(got[0]!.pageContent).toBe(texts[want[0]!.index]);
  });

  it('TesseraEmbeddings gives the dense vectors of Tessera directly', async () => {
    const t = await Tessera.create({ model: fixtures.dense, backend: 'onnx' });
    const want = await t.encodeDense(texts);
    await t.dispose();
    const got = await embeddings.embedDocuments(texts);
    got.forEach((v, i) => v.forEach((x, j) => expect(x).toBeCloseTo(want[i]!.data[j]!, 5)));
    expect(await embeddings.embedQuery(texts[0]!)).toEqual(got[0]);
  });

  it('TesseraMultiVectorEmbeddings gives ColBERT rows as number[][] per text (queries framed as queries)', async () => {
    const mv = new TesseraMultiVectorEmbeddings({ model: fixtures.pylate, backend: 'onnx' });
    const t = await Tessera.create({ model: fixtures.pylate, backend: 'onnx' });
    const [q] = await t.encodeQueries([query]);
    const docs = await t.encodeDocuments(texts.slice(0, 2));
    await t.dispose();
    const gotQ = await mv.embedQuery(query);
    expect(gotQ.length).toBe(q!.rows);
    gotQ.forEach((row, r) => row.forEach((x, j) => expect(x).toBeCloseTo(toRows(q!)[r]![j]!, 5)));
    const gotD = await mv.embedDocuments(texts.slice(0, 2));
    expect(gotD.map((d) => d.length)).toEqual(docs.map((d) => d.rows));
    await mv.dispose();
  });

  it('says what is wrong: a dense model as the reranker, a bad topK, no model', async () => {
    const wrong = new TesseraReranker({ model: fixtures.dense, backend: 'onnx' });
    await expect(wrong.compressDocuments([new Document({ pageContent: 'x' })], 'q')).rejects.toThrow(
      /is a dense \(single-vector\) model; TesseraReranker needs a ColBERT one/,
    );
    expect(() => new TesseraReranker({ model: fixtures.pylate, topK: 0 })).toThrow(
      /topK must be a positive integer \(got 0\)/,
    );
    expect(() => new TesseraEmbeddings({} as never)).toThrow(/TesseraEmbeddings needs a model/);
  });
});
