import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  MemoryStore,
  Tessera,
  maxSimMany,
  topK,
  type RowMatrix,
  type StoreRecord,
  type TokenEmbeddings,
} from '@tessera/core';
import { searchStore } from '@tessera/core/store';
import { LanceDbStore } from '@tessera/store-lancedb';
import { percentile, round } from '../measure.js';

export interface SearchRow {
  method: string;
  p50Ms: number;
  p95Ms: number;
  /** Share of exact MaxSim's top 10 found, over the queries. */
  recallAt10: number;
}

export interface IndexingResults {
  model: string;
  texts: number;
  /** Plain encodeDocuments of the texts, and t.index() of them into a new LanceDB folder. */
  encodeDocsPerSec: number;
  indexDocsPerSec: number;
  ratio: number;
  indexBytes: number;
  search: {
    documents: number;
    tokenRows: number;
    queries: number;
    buildAnnSeconds: number;
    /** Seconds to build Tessera's compressed index (PLAID) on the same store. */
    buildPlaidSeconds?: number;
    rows: SearchRow[];
  };
}

/** A seeded generator for the perturbations. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
}

/**
 * n distinct documents from real encoded ones: each takes its length from one source document
 * and its rows from three (random rows of each, a little noise, renormalized), so the set keeps
 * the structure of the model's vectors without encoding n texts, and has no near-copies whose
 * order would be a coin toss.
 */
function grow(base: TokenEmbeddings[], n: number, noise: number): StoreRecord[] {
  const random = rng(7);
  const pick = (k: number) => Math.floor((random() + 0.5) * k) % k;
  return Array.from({ length: n }, (_, i) => {
    const sources = [base[i % base.length]!, base[pick(base.length)]!, base[pick(base.length)]!];
    const { rows, dim } = sources[0]!;
    const data = new Float32Array(rows * dim);
    for (let r = 0; r < rows; r++) {
      const src = sources[pick(3)]!;
      const from = pick(src.rows);
      let norm = 0;
      for (let c = 0; c < dim; c++) norm += (data[r * dim + c] = src.data[from * dim + c]! + noise * random()) ** 2;
      norm = Math.sqrt(norm);
      for (let c = 0; c < dim; c++) data[r * dim + c]! /= norm;
    }
    return { id: `doc-${i}`, vectors: { rows, dim, data }, source: 'bench', seq: i };
  });
}

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = performance.now();
  const value = await fn();
  return { ms: performance.now() - t0, value };
}

/**
 * Indexing throughput against plain encoding on the same corpus, and search latency on an index
 * of `documents` documents: exact (the store's scan, and core's in-memory MaxSim) against the
 * IVF-PQ index at a few settings, each with recall@10 against exact MaxSim.
 */
export async function indexingBench(
  modelDir: string,
  modelName: string,
  o: { threads: number; texts: string[]; queries: string[]; documents: number },
): Promise<IndexingResults> {
  const t = await Tessera.create({ model: modelDir, backend: 'onnx', device: 'cpu', threads: o.threads });
  const work = mkdtempSync(join(tmpdir(), 'tessera-bench-index-'));
  try {
    await t.encodeDocuments(o.texts.slice(0, 8));
    const encode = await timed(() => t.encodeDocuments(o.texts));
    const store = await LanceDbStore.open(join(work, 'corpus'));
    const indexed = await timed(() =>
      t.index(
        store,
        o.texts.map((text, i) => ({ id: `p${i}`, text })),
      ),
    );
    const indexBytes = store.sizeOnDisk();
    await store.close();
    const encodeDocsPerSec = o.texts.length / (encode.ms / 1000);
    const indexDocsPerSec = o.texts.length / (indexed.ms / 1000);

    // Search: documents grown from the encoded corpus, real encoded queries.
    const docs = grow(encode.value, o.documents, 0.05);
    const queries = await t.encodeQueries(o.queries);
    const exactTop = queries.map((q) =>
      topK(
        maxSimMany(
          q,
          docs.map((d) => d.vectors),
        ),
        10,
      ).map((r) => docs[r.index]!.id),
    );
    const big = await LanceDbStore.open(join(work, 'search'));
    await big.writeManifest({
      format: 1,
      model: modelName,
      modelFingerprint: 'bench',
      dimension: t.dimension,
      createdAt: new Date().toISOString(),
    });
    for (let i = 0; i < docs.length; i += 1000) await big.add(docs.slice(i, i + 1000));
    await big.optimize();
    const rows: SearchRow[] = [];
    const measure = async (method: string, search: (q: RowMatrix) => Promise<string[]>) => {
      await search(queries[0]!);
      const ms: number[] = [];
      let found = 0;
      for (let i = 0; i < queries.length; i++) {
        const { ms: m, value } = await timed(() => search(queries[i]!));
        ms.push(m);
        const want = new Set(exactTop[i]);
        found += value.filter((id) => want.has(id)).length;
      }
      rows.push({
        method,
        p50Ms: round(percentile(ms, 50), 1),
        p95Ms: round(percentile(ms, 95), 1),
        recallAt10: round(found / (queries.length * 10), 3),
      });
    };
    const viaStore = (s: LanceDbStore | MemoryStore) => async (q: RowMatrix) =>
      (await s.search(q, { limit: 10 })).map((h) => h.id);
    await measure('LanceDB store, exact (scan + core MaxSim)', viaStore(big));
    const memory = new MemoryStore();
    await memory.add(docs);
    await measure('core MaxSim in memory (exact)', viaStore(memory));
    const build = await timed(() => big.createAnnIndex());
    for (const [nprobes, refineFactor] of [
      [20, 4],
      [20, 50],
      [50, 200],
    ] as const) {
      big.tuning = { nprobes, refineFactor };
      await measure(`LanceDB IVF-PQ, nprobes ${nprobes}, refine ${refineFactor}`, viaStore(big));
    }
    // Tessera's compressed index on the same store and queries, at its default knobs.
    const plaid = await timed(() => t.buildSearchIndex(big));
    await measure('Tessera compressed index (PLAID, default knobs)', async (q) => {
      const r = await searchStore(big, q, { topK: 10 });
      if (r.path !== 'index') throw new Error(`the compressed index did not answer: ${r.note}`);
      return r.results.map((h) => h.id);
    });
    await big.close();
    return {
      model: modelName,
      texts: o.texts.length,
      encodeDocsPerSec: round(encodeDocsPerSec),
      indexDocsPerSec: round(indexDocsPerSec),
      ratio: round(indexDocsPerSec / encodeDocsPerSec),
      indexBytes,
      search: {
        documents: docs.length,
        tokenRows: docs.reduce((s, d) => s + d.vectors.rows, 0),
        queries: queries.length,
        buildAnnSeconds: round(build.ms / 1000, 1),
        buildPlaidSeconds: round(plaid.ms / 1000, 1),
        rows,
      },
    };
  } finally {
    await t.dispose();
    rmSync(work, { recursive: true, force: true });
  }
}
