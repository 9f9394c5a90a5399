import type {
  JSONObject,
  RerankingModelV4,
  RerankingModelV4CallOptions,
  RerankingModelV4Result,
} from '@ai-sdk/provider';
import { TesseraError, topK } from '@tessera/core';
import { requireKind, tesseraFor, type TesseraModelSettings } from './models.js';

/** The text of an object document: its "text" (or "content", "pageContent") field, else its JSON. */
function textOf(d: JSONObject): string {
  for (const k of ['text', 'content', 'pageContent']) if (typeof d[k] === 'string') return d[k] as string;
  return JSON.stringify(d);
}

/**
 * A local ColBERT reranker for the AI SDK's rerank(): the query and documents are encoded by a
 * Tessera ColBERT model and ranked by MaxSim (the engine's GEMM when the backend scores).
 */
export class TesseraRerankingModel implements RerankingModelV4 {
  readonly specificationVersion = 'v4' as const;
  readonly provider = 'tessera';

  constructor(
    readonly modelId: string,
    private readonly settings: TesseraModelSettings = {},
  ) {}

  async doRerank(options: RerankingModelV4CallOptions): Promise<RerankingModelV4Result> {
    options.abortSignal?.throwIfAborted();
    const docs = options.documents.type === 'text' ? options.documents.values : options.documents.values.map(textOf);
    if (options.topN !== undefined && (!Number.isInteger(options.topN) || options.topN < 1))
      throw new TesseraError('INVALID_OPTION', `topN must be a positive integer (got ${options.topN})`, {
        field: 'topN',
      });
    const t = await tesseraFor(this.modelId, this.settings);
    requireKind(t, 'colbert', this.modelId, 'reranking');
    if (!docs.length) return { ranking: [], response: { modelId: this.modelId, timestamp: new Date() } };
    const [q] = await t.encodeQueries([options.query]);
    options.abortSignal?.throwIfAborted();
    const encoded = await t.encodeDocuments(docs);
    options.abortSignal?.throwIfAborted();
    const scorer = await t.scorer(encoded);
    let scores: Float32Array;
    try {
      scores = await scorer.score(q!);
    } finally {
      await scorer.dispose();
    }
    const ranking = topK(scores, Math.min(options.topN ?? docs.length, docs.length)).map((r) => ({
      index: r.index,
      relevanceScore: r.score,
    }));
    return { ranking, response: { modelId: this.modelId, timestamp: new Date() } };
  }
}
