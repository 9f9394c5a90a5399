import type { DocumentInterface } from '@langchain/core/documents';
import { BaseDocumentCompressor } from '@langchain/core/retrievers/document_compressors';
import { TesseraError } from '@tessera/core';
import { LazyTessera, type TesseraLangChainOptions } from './tessera-for.js';

export interface TesseraRerankerOptions extends TesseraLangChainOptions {
  /** Documents kept, best first (default 5). */
  topK?: number;
}

/**
 * A local ColBERT reranker as a LangChain document compressor (use it in a
 * ContextualCompressionRetriever): documents are scored by MaxSim against the query, the best
 * `topK` kept, each with its score in `metadata.relevanceScore`.
 */
export class TesseraReranker extends BaseDocumentCompressor {
  readonly topK: number;
  private readonly tessera: LazyTessera;

  constructor(options: TesseraRerankerOptions) {
    super();
    const { topK: k = 5, ...create } = options;
    if (!Number.isInteger(k) || k < 1)
      throw new TesseraError('INVALID_OPTION', `topK must be a positive integer (got ${k})`, { field: 'topK' });
    this.topK = k;
    this.tessera = new LazyTessera(create, 'colbert', 'TesseraReranker');
  }

  async compressDocuments(documents: DocumentInterface[], query: string): Promise<DocumentInterface[]> {
    if (!documents.length) return [];
    const t = await this.tessera.get();
    const ranked = await t.rerank(
      query,
      documents.map((d) => d.pageContent),
      { topK: this.topK },
    );
    return ranked.map((r) => {
      const d = documents[r.index]!;
      return { ...d, metadata: { ...d.metadata, relevanceScore: r.score } };
    });
  }

  dispose(): Promise<void> {
    return this.tessera.dispose();
  }
}
