import { TesseraEmbeddingModel } from './embedding-model.js';
import type { TesseraModelSettings } from './models.js';
import { TesseraRerankingModel } from './reranking-model.js';

export { TesseraEmbeddingModel } from './embedding-model.js';
export { TesseraRerankingModel } from './reranking-model.js';
export { closeAll, type TesseraModelSettings } from './models.js';

/** The Tessera provider: models are registry ids, Hugging Face repo ids or local folders. */
export interface TesseraProvider {
  /** A ColBERT model as a reranking model, for rerank(). */
  reranking(modelId: string, settings?: TesseraModelSettings): TesseraRerankingModel;
  /** A dense model as an embedding model, for embed() and embedMany(). */
  embedding(modelId: string, settings?: TesseraModelSettings): TesseraEmbeddingModel;
  rerankingModel(modelId: string, settings?: TesseraModelSettings): TesseraRerankingModel;
  embeddingModel(modelId: string, settings?: TesseraModelSettings): TesseraEmbeddingModel;
}

/** A provider whose models share `defaults` (backend, device, threads, …) unless they say otherwise. */
export function createTessera(defaults: TesseraModelSettings = {}): TesseraProvider {
  const reranking = (id: string, s: TesseraModelSettings = {}) => new TesseraRerankingModel(id, { ...defaults, ...s });
  const embedding = (id: string, s: TesseraModelSettings = {}) => new TesseraEmbeddingModel(id, { ...defaults, ...s });
  return { reranking, embedding, rerankingModel: reranking, embeddingModel: embedding };
}

export const tessera = createTessera();
