import { Embeddings, type EmbeddingsParams } from '@langchain/core/embeddings';
import { toRows } from '@tessera/core';
import { LazyTessera, type TesseraLangChainOptions } from './tessera-for.js';

/** A local dense (single-vector) embedding model for LangChain vector stores. */
export class TesseraEmbeddings extends Embeddings<number[]> {
  private readonly tessera: LazyTessera;

  constructor(options: TesseraLangChainOptions & EmbeddingsParams) {
    const { maxConcurrency, maxRetries, onFailedAttempt, ...create } = options;
    super({ maxConcurrency, maxRetries, onFailedAttempt });
    this.tessera = new LazyTessera(create, 'dense', 'TesseraEmbeddings');
  }

  async embedDocuments(documents: string[]): Promise<number[][]> {
    const t = await this.tessera.get();
    return (await t.encodeDense(documents)).map((e) => Array.from(e.data));
  }

  async embedQuery(document: string): Promise<number[]> {
    return (await this.embedDocuments([document]))[0]!;
  }

  dispose(): Promise<void> {
    return this.tessera.dispose();
  }
}

/**
 * ColBERT token rows through LangChain's generic EmbeddingsInterface: each text is a number[][]
 * (one row per scored token), queries framed as queries, documents as documents. For stores
 * with multivector support (Qdrant, LanceDB).
 */
export class TesseraMultiVectorEmbeddings extends Embeddings<number[][]> {
  private readonly tessera: LazyTessera;

  constructor(options: TesseraLangChainOptions & EmbeddingsParams) {
    const { maxConcurrency, maxRetries, onFailedAttempt, ...create } = options;
    super({ maxConcurrency, maxRetries, onFailedAttempt });
    this.tessera = new LazyTessera(create, 'colbert', 'TesseraMultiVectorEmbeddings');
  }

  async embedDocuments(documents: string[]): Promise<number[][][]> {
    const t = await this.tessera.get();
    return (await t.encodeDocuments(documents)).map(toRows);
  }

  async embedQuery(query: string): Promise<number[][]> {
    const t = await this.tessera.get();
    return toRows((await t.encodeQueries([query]))[0]!);
  }

  dispose(): Promise<void> {
    return this.tessera.dispose();
  }
}
