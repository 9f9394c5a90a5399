import { MemoryStore, Tessera } from '@tessera/core';
import { loadLateIndex, packRows, searchStore, updateLateIndex, writeCodec } from '@tessera/core/store';
import { syntheticColbertCorpus } from '@tessera/core/testing';
import { percentile, round } from '../measure.js';

export interface SearchPathResult {
  /**
   * "index": the stages on every core (the default); "index, 1 thread": the same search kept on the
   * calling thread; "codes": the same index in a compressed-only store (no float rows; the best
   * candidates rescored from decoded rows).
   */
  path: 'index' | 'index, 1 thread' | 'exact' | 'codes';
  k: number;
  p50Ms: number;
  p95Ms: number;
  /** Share of the exact top k the path returned, over every query. */
  recall: number;
}

export interface SearchScaleResult {
  documents: number;
  /** Token pooling of the index (1: none); `rows` counts the index's rows. */
  poolFactor: number;
  rows: number;
  dim: number;
  nbits: number;
  centroids: number;
  buildSeconds: number;
  /** Seconds per 10,000 token rows. */
  buildPer10kRows: number;
  bytesPerToken: number;
  rssMiB: number;
  paths: SearchPathResult[];
  /** Bytes a token a compressed-only store keeps (each document's codes, and the index), where measured. */
  codesBytesPerToken?: number;
}

export interface SearchResults {
  corpus: string;
  queries: number;
  scales: SearchScaleResult[];
}

/**
 * The compressed index against the exact scan, at each corpus size, without and with token
 * pooling (factor 2): build time (k-means and encoding through the engine's GEMM), bytes per
 * index row, latency at k = 10 and 100, and recall against exact MaxSim. The corpus is synthetic with ColBERT's structure (rows clustered by
 * token, Zipf token frequencies): the bench's models have random weights, whose rows carry no
 * such structure, so a ranking of their encodings says nothing about an index's recall.
 */
export async function searchBench(options: {
  sizes: number[];
  dim: number;
  queries: number;
  threads: number;
  engineModel: string;
  log: (m: string) => void;
}): Promise<SearchResults> {
  const t = await Tessera.create({
    model: options.engineModel,
    backend: 'onnx',
    device: 'cpu',
    threads: options.threads,
  });
  const scales: SearchScaleResult[] = [];
  try {
    for (const documents of options.sizes) {
      const corpus = syntheticColbertCorpus({ documents, queries: options.queries, dim: options.dim, seed: documents });
      const store = new MemoryStore();
      await store.add(corpus.docs.map((vectors, i) => ({ id: `d${i}`, vectors, source: 'bench', seq: i })));
      // The exact scan once per k: the ground truth and the baseline every index is read against.
      const exact = new Map<number, { truth: Set<string>[]; times: number[] }>();
      for (const k of [10, 100]) {
        const e = { truth: [] as Set<string>[], times: [] as number[] };
        for (const q of corpus.queries) {
          const r = await searchStore(store, q, { topK: k, exact: true });
          e.truth.push(new Set(r.results.map((x) => x.id)));
          e.times.push(r.tookMs);
        }
        exact.set(k, e);
      }
      for (const poolFactor of [1, 2]) {
        const built = await t.buildSearchIndex(store, { poolFactor });
        options.log(`search ${documents} documents: built ${JSON.stringify(built)}`);
        const paths: SearchPathResult[] = [];
        const stat = (path: SearchPathResult['path'], k: number, ms: number[], recall: number) => ({
          path,
          k,
          p50Ms: round(percentile(ms, 50), 2),
          p95Ms: round(percentile(ms, 95), 2),
          recall,
        });
        for (const k of [10, 100]) {
          for (const threads of [undefined, 1]) {
            const times: number[] = [];
            let shared = 0;
            for (const [i, q] of corpus.queries.entries()) {
              const viaIndex = await searchStore(store, q, { topK: k, ...(threads ? { threads } : {}) });
              if (viaIndex.path !== 'index') throw new Error(`the index did not answer: ${viaIndex.note}`);
              times.push(viaIndex.tookMs);
              shared += viaIndex.results.filter((r) => exact.get(k)!.truth[i]!.has(r.id)).length;
            }
            const recall = round(shared / (k * corpus.queries.length), 4);
            paths.push(stat(threads ? 'index, 1 thread' : 'index', k, times, recall));
          }
          paths.push(stat('exact', k, exact.get(k)!.times, 1));
        }
        // The same index without float rows: what `--no-vectors` keeps (codes per document).
        const codes = poolFactor === 1 ? await compressedOnly(store) : undefined;
        if (codes)
          for (const k of [10, 100]) {
            const times: number[] = [];
            let shared = 0;
            for (const [i, q] of corpus.queries.entries()) {
              const r = await searchStore(codes.store, q, { topK: k });
              if (r.scores !== 'decompressed') throw new Error('the compressed-only store did not answer from codes');
              times.push(r.tookMs);
              shared += r.results.filter((x) => exact.get(k)!.truth[i]!.has(x.id)).length;
            }
            paths.push(stat('codes', k, times, round(shared / (k * corpus.queries.length), 4)));
          }
        await codes?.store.close();
        scales.push({
          documents,
          poolFactor,
          rows: built.rows,
          dim: options.dim,
          nbits: built.nbits,
          centroids: built.centroids,
          buildSeconds: round(built.seconds, 2),
          buildPer10kRows: round(built.seconds / (built.rows / 1e4), 3),
          bytesPerToken: built.bytesPerToken,
          rssMiB: Math.round(process.memoryUsage().rss / 2 ** 20),
          paths,
          ...(codes ? { codesBytesPerToken: codes.bytesPerToken } : {}),
        });
        options.log(`search ${documents} documents: ${JSON.stringify(scales.at(-1))}`);
      }
      await store.close();
    }
  } finally {
    await t.dispose();
  }
  return {
    corpus: `syntheticColbertCorpus (dimension ${options.dim}, 20 to 120 rows a document, 32-row queries)`,
    queries: options.queries,
    scales,
  };
}

/**
 * A compressed-only store holding the store's fresh index as `--no-vectors` would: the index's
 * codec, and each document's codes from it (the codec trained on PLAID's sample of the whole
 * corpus, where the indexer trains on the first documents: the same on this corpus of
 * independent documents). Its own index is assembled from those codes.
 */
async function compressedOnly(floats: MemoryStore) {
  const { index } = (await loadLateIndex(floats))!;
  const store = new MemoryStore();
  await store.writeManifest({
    format: 1,
    model: 'bench',
    modelFingerprint: 'bench',
    dimension: index.dim,
    createdAt: new Date().toISOString(),
    vectors: false,
  });
  await writeCodec(store, index);
  const rb = index.residuals.length / index.codes.length;
  const none = new Float32Array(0);
  let codeBytes = 0;
  const records = index.ids.map((id, d) => {
    const [a, b] = [index.docOffsets[d]!, index.docOffsets[d + 1]!];
    const codes = packRows(index.codes.subarray(a, b), index.residuals.subarray(a * rb, b * rb));
    codeBytes += codes.length;
    return { id, vectors: { rows: 0, dim: index.dim, data: none }, codes, source: 'bench', seq: d };
  });
  await store.add(records);
  const built = await updateLateIndex(store);
  return { store, bytesPerToken: round((codeBytes + built.bytes) / built.rows, 1) };
}
