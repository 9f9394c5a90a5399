export { TesseraReranker, type TesseraRerankerOptions } from './reranker.js';
export { TesseraEmbeddings, TesseraMultiVectorEmbeddings } from './embeddings.js';
export type { TesseraLangChainOptions } from './tessera-for.js';
