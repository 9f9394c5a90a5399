import type { EmbeddingModelV4, EmbeddingModelV4CallOptions, EmbeddingModelV4Result } from '@ai-sdk/provider';
import { requireKind, tesseraFor, type TesseraModelSettings } from './models.js';

/** A local dense (single-vector) embedding model for the AI SDK's embed() and embedMany(). */
export class TesseraEmbeddingModel implements EmbeddingModelV4 {
  readonly specificationVersion = 'v4' as const;
  readonly provider = 'tessera';
  // Tessera batches by length itself; the AI SDK need not split or parallelize calls.
  readonly maxEmbeddingsPerCall = undefined;
  readonly supportsParallelCalls = false;

  constructor(
    readonly modelId: string,
    private readonly settings: TesseraModelSettings = {},
  ) {}

  async doEmbed(options: EmbeddingModelV4CallOptions): Promise<EmbeddingModelV4Result> {
    options.abortSignal?.throwIfAborted();
    const t = await tesseraFor(this.modelId, this.settings);
    requireKind(t, 'dense', this.modelId, 'embed / embedMany');
    const out = await t.encodeDense(options.values, options.dimensions ? { dimension: options.dimensions } : {});
    return {
      embeddings: out.map((e) => Array.from(e.data)),
      usage: { tokens: out.reduce((s, e) => s + e.tokens, 0) },
      warnings: [],
    };
  }
}
