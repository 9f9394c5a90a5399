import { describe, expect, it } from 'vitest';
import type { RowMatrix } from '../src/index.js';
import { buildPlaidIndex } from '../src/plaid/build.js';
import { centroidScores, centroidScoresJs } from '../src/plaid/centroid-scores.js';
import { decodedScores, decodedScoresJs } from '../src/plaid/decode-score.js';
import { dotScores, dotScoresJs, shortTable, tableKernel } from '../src/plaid/dot-scores.js';
import { dotScoresShortJs, shortRows } from '../src/plaid/short-rows.js';
import {
  centroidInteraction,
  coarseInteraction,
  documentCentroids,
  interactionJs,
  paddedRows,
} from '../src/plaid/interaction.js';
import type { PlaidIndex } from '../src/plaid/plaid-index.js';
import { defaultKnobs, searchIn, searchPlaid } from '../src/plaid/search.js';
import { SearchMemory } from '../src/plaid/search-threads.js';
import { topPositions } from '../src/plaid/select.js';
import { seeded } from '../src/random.js';
import { syntheticColbertCorpus } from '../src/testing/synthetic-corpus.js';

async function indexOf(docs: RowMatrix[], nbits: 1 | 2 | 4, centroids = 64): Promise<PlaidIndex> {
  return buildPlaidIndex(
    {
      count: docs.length,
      version: 'v1',
      documents: async function* () {
        for (const [i, vectors] of docs.entries()) yield { id: `d${i}`, vectors };
      },
    },
    { nbits, centroids },
  );
}

/** Query rows from the corpus, `rows` of them (any count, not only the SIMD width's multiples). */
function queryOf(docs: RowMatrix[], rows: number, dim: number): RowMatrix {
  const data = new Float32Array(rows * dim);
  for (let r = 0; r < rows; r++) data.set(docs[r % docs.length]!.data.subarray(0, dim), r * dim);
  return { rows, dim, data };
}

describe('search kernels against their plain-loop forms', () => {
  it('decodes and scores documents (stage 4) as decodeRow and plain MaxSim do, for nbits 1, 2, 4 and dims off 8', async () => {
    for (const dim of [32, 12]) {
      const corpus = syntheticColbertCorpus({ documents: 120, queries: 1, dim, docRows: [1, 40], seed: dim });
      for (const nbits of [1, 2, 4] as const) {
        const index = await indexOf(corpus.docs, nbits);
        const docs = Uint32Array.from({ length: 60 }, (_, i) => (i * 13) % 120);
        for (const rows of [1, 5, 16, 33]) {
          const query = queryOf(corpus.docs.slice(7), rows, dim);
          const simd = decodedScores(index, query, docs);
          const js = decodedScoresJs(index, query, docs);
          expect(simd.length).toBe(docs.length);
          for (let j = 0; j < docs.length; j++)
            expect(simd[j], `dim ${dim}, nbits ${nbits}, ${rows} query rows, document ${docs[j]}`).toBeCloseTo(
              js[j]!,
              4,
            );
        }
      }
    }
  });

  it("scores the centroids (stage 1) with each centroid's best, the pruning and each query row's best cells as plain loops do", async () => {
    const dim = 32;
    const corpus = syntheticColbertCorpus({ documents: 200, queries: 1, dim, docRows: [5, 30], seed: 3 });
    const index = await indexOf(corpus.docs, 2, 256);
    for (const rows of [1, 5, 16, 31]) {
      const query = queryOf(corpus.docs.slice(11), rows, dim);
      const qPad = paddedRows(rows);
      const padded = new Float32Array(qPad * dim);
      padded.set(query.data);
      for (const cells of [1, 3, 8]) {
        const simd = centroidScores(index, query, cells, 0.6);
        const js = centroidScoresJs(index, padded, rows, qPad, cells, 0.6);
        expect(simd.qPad).toBe(qPad);
        expect(Array.from(simd.cellIds), `${rows} rows, ${cells} cells`).toEqual(Array.from(js.cellIds));
        expect(Array.from(simd.allowed)).toEqual(Array.from(js.allowed));
        expect(simd.allowed.some((a) => a === 1) && simd.allowed.some((a) => a === 0)).toBe(true);
        for (let c = 0; c < index.k; c++) {
          expect(simd.centroidMax[c]).toBeCloseTo(js.centroidMax[c]!, 5);
          for (let q = 0; q < qPad; q++) {
            const at = c * qPad + q;
            if (q >= rows) expect(simd.scoresT[at], 'a padding lane').toBe(-Infinity);
            else expect(simd.scoresT[at]).toBeCloseTo(js.scoresT[at]!, 5);
          }
        }
        // The 16-bit scores are within a small step of the float ones.
        const exact = dotScoresJs(index.centroids, index.k, padded, qPad, dim);
        for (let c = 0; c < index.k; c++)
          for (let q = 0; q < rows; q++)
            expect(Math.abs(simd.scoresT[c * qPad + q]! - exact[c * qPad + q]!)).toBeLessThan(1e-3);
        // Each query row's cells are its best centroids, best first.
        for (let q = 0; q < rows; q++) {
          const column = Array.from({ length: index.k }, (_, c) => js.scoresT[c * qPad + q]!);
          const want = Array.from(column.keys())
            .sort((a, b) => column[b]! - column[a]! || a - b)
            .slice(0, cells);
          expect(Array.from(simd.cellIds.subarray(q * cells, (q + 1) * cells))).toEqual(want);
        }
      }
    }
  });

  it('ranks by the coarse stage 2 within its byte steps of the float interaction, padding and pruned centroids adding nothing', async () => {
    const dim = 32;
    const corpus = syntheticColbertCorpus({ documents: 300, queries: 1, dim, docRows: [5, 30], seed: 5 });
    const index = await indexOf(corpus.docs, 2, 128);
    const docs = Uint32Array.from({ length: 300 }, (_, i) => i);
    // 20 and 32 rows (qPad 32) take the kernel's two-register path; the others its general loop.
    for (const rows of [5, 16, 20, 32, 40]) {
      const query = queryOf(corpus.docs.slice(40), rows, dim);
      const stage1 = centroidScores(index, query, 2, 0.7);
      const coarse = coarseInteraction(index, stage1.scoresT, stage1.qPad, docs, stage1.allowed);
      const float = centroidInteraction(index, stage1.scoresT, stage1.qPad, docs, stage1.allowed);
      const js = interactionJs(documentCentroids(index), stage1.scoresT, stage1.qPad, docs, stage1.allowed);
      let unpruned = 0;
      for (let j = 0; j < docs.length; j++) {
        expect(float[j]).toBeCloseTo(js[j]!, 4);
        // Each query row's maximum is off by at most half a step (1/254).
        expect(Math.abs(coarse[j]! - float[j]!), `${rows} rows, document ${j}`).toBeLessThanOrEqual(rows / 254 + 1e-4);
        if (float[j] !== 0) unpruned++;
      }
      // Some documents have no allowed centroid (score 0 in both), most have some.
      expect(unpruned).toBeGreaterThan(docs.length / 2);
      expect(unpruned).toBeLessThan(docs.length);
    }
  });
});

describe('16-bit stage 1', () => {
  it('never leaves 32 bits, however large the values and the dimension', () => {
    for (const dim of [8, 96, 256, 1024]) {
      const ones = new Float32Array(4 * dim).fill(-3.5);
      const at = tableKernel(ones, 4, dim, 4 * dim * 2 + 64);
      expect(at?.shortAt, `dim ${dim}`).toBeDefined();
      const { k, base, shortAt } = at!;
      const q = shortRows(ones, 4, dim);
      new Int16Array(k.memory.buffer, base, 4 * dim).set(q.data);
      k.dot_scores_i16(shortAt!, 4, base, 4, dim, base + 4 * dim * 2, shortTable(ones, 4, dim).unit * q.unit);
      const out = new Float32Array(k.memory.buffer, base + 4 * dim * 2, 16);
      for (const v of out) expect(v / (dim * 12.25), `dim ${dim}`).toBeCloseTo(1, 3);
    }
  });
});

describe('16-bit dot products in the kernel', () => {
  it('equal the plain loops to the bit: rows in pairs, an odd last row, and b rows not in fours', () => {
    const random = seeded(9);
    const dim = 24;
    for (const [aRows, bRows] of [
      [7, 8],
      [8, 16],
      [5, 6],
      [1, 4],
    ] as const) {
      const a = shortRows(
        Float32Array.from({ length: aRows * dim }, () => random() - 0.5),
        aRows,
        dim,
      );
      const b = shortRows(
        Float32Array.from({ length: bRows * dim }, () => random() - 0.5),
        bRows,
        dim,
      );
      const at = tableKernel(
        Float32Array.from({ length: aRows * dim }),
        aRows,
        dim,
        (aRows + bRows) * dim * 2 + aRows * bRows * 4 + 64,
      );
      const { k, base } = at!;
      const bAt = base + aRows * dim * 2;
      const outAt = bAt + bRows * dim * 2;
      new Int16Array(k.memory.buffer, base, aRows * dim).set(a.data);
      new Int16Array(k.memory.buffer, bAt, bRows * dim).set(b.data);
      k.dot_scores_i16(base, aRows, bAt, bRows, dim, outAt, 0.001);
      const got = Array.from(new Float32Array(k.memory.buffer, outAt, aRows * bRows));
      expect(got, `${aRows} x ${bRows}`).toEqual(
        Array.from(dotScoresShortJs(a.data, aRows, b.data, bRows, dim, 0.001)),
      );
    }
  });
});

describe('the centroid table resident in the kernel', () => {
  it('is copied again when another index or another call took the memory, never read stale', async () => {
    const dim = 32;
    const corpus = syntheticColbertCorpus({ documents: 200, queries: 1, dim, docRows: [5, 30], seed: 21 });
    const [a, b] = [await indexOf(corpus.docs.slice(0, 100), 2, 64), await indexOf(corpus.docs.slice(100), 2, 96)];
    const query = queryOf(corpus.docs.slice(50), 7, dim);
    const padded = new Float32Array(paddedRows(7) * dim);
    padded.set(query.data);
    const docs = Uint32Array.from({ length: 40 }, (_, i) => i);
    const stage1 = (index: PlaidIndex) => {
      const got = centroidScores(index, query, 2, 0.5);
      const want = centroidScoresJs(index, padded, 7, paddedRows(7), 2, 0.5);
      expect(Array.from(got.cellIds)).toEqual(Array.from(want.cellIds));
      for (let i = 0; i < want.scoresT.length; i++) expect(got.scoresT[i]).toBe(want.scoresT[i]);
    };
    const stage4 = (index: PlaidIndex) => {
      const got = decodedScores(index, query, docs);
      const want = decodedScoresJs(index, query, docs);
      for (let j = 0; j < docs.length; j++) expect(got[j]).toBeCloseTo(want[j]!, 4);
    };
    const rows = corpus.docs[3]!;
    for (let round = 0; round < 2; round++) {
      stage1(a);
      stage4(a);
      // Another index takes the table's place, then a plain dot product takes the whole memory.
      stage1(b);
      stage4(a);
      const other = dotScores(rows.data, rows.rows, corpus.docs[4]!.data, corpus.docs[4]!.rows, dim);
      expect(other[0]).toBeCloseTo(
        dotScoresJs(rows.data, rows.rows, corpus.docs[4]!.data, corpus.docs[4]!.rows, dim)[0]!,
        5,
      );
      stage4(b);
      stage1(a);
    }
  });
});

describe('search knobs', () => {
  it('refuses a knob the stages cannot run with, by name', async () => {
    const dim = 32;
    const corpus = syntheticColbertCorpus({ documents: 50, queries: 1, dim, docRows: [5, 20], seed: 2 });
    const index = await indexOf(corpus.docs, 2, 16);
    const query = queryOf(corpus.docs, 4, dim);
    for (const [bad, field] of [
      [{ ncells: 0 }, 'ncells'],
      [{ ncells: 1.5 }, 'ncells'],
      [{ ndocs: 0 }, 'ndocs'],
      [{ rescore: -1 }, 'rescore'],
      [{ centroidScoreThreshold: Number.NaN }, 'centroidScoreThreshold'],
    ] as const) {
      const run = () => searchPlaid(index, query, 5, { ...defaultKnobs(5), ...bad });
      expect(run).toThrow(expect.objectContaining({ code: 'INVALID_OPTION', details: { field } }));
      expect(run).toThrow(`knobs.${field} must be`);
    }
    expect(searchPlaid(index, query, 5, { ...defaultKnobs(5), ncells: 1, rescore: 0 }).length).toBe(5);
  });
});

describe('topPositions', () => {
  it('returns the n largest positions, largest first and ties by position, as a full sort does', () => {
    const random = seeded(9);
    for (let round = 0; round < 200; round++) {
      const length = 1 + Math.floor(random() * 300);
      // Few distinct values: many ties.
      const distinct = 1 + Math.floor(random() * 20);
      const values = Float32Array.from({ length }, () => Math.floor(random() * distinct) / distinct);
      const n = Math.floor(random() * (length + 5));
      const want = Array.from(values.keys())
        .sort((a, b) => values[b]! - values[a]! || a - b)
        .slice(0, n);
      expect(Array.from(topPositions(values, n)), `${length} values, n ${n}`).toEqual(want);
    }
  });
});

describe('the search on several threads', () => {
  it('returns what the one-thread search does, to the bit, for any split of its stages', async () => {
    const dim = 32;
    const corpus = syntheticColbertCorpus({ documents: 400, queries: 6, dim, docRows: [3, 40], seed: 21 });
    const index = await indexOf(corpus.docs, 2, 128);
    const subset = Uint8Array.from({ length: 400 }, (_, d) => (d % 3 === 0 ? 1 : 0));
    // Small ndocs so that every stage runs on a corpus this size; 20 query rows take the kernels' general loops.
    const knobs = (k: number) => ({ ...defaultKnobs(k), ncells: 3, ndocs: 64, rescore: 0 });
    for (const threads of [2, 3]) {
      const memory = new SearchMemory(index, threads);
      for (const [i, q] of corpus.queries.entries()) {
        for (const query of [q, queryOf(corpus.docs.slice(i * 7), 20, dim)]) {
          for (const k of [5, 30]) {
            const want = searchPlaid(index, query, k, knobs(k));
            expect(want.length).toBe(k);
            expect(await searchIn(memory, query, k, knobs(k)), `${threads} threads, query ${i}`).toEqual(want);
            // Stage by stage too: the merged best cells, both interactions and the decoded scores.
            const one = centroidScores(index, query, 3, 0.5);
            const split = await memory.exclusive(async () => {
              const s1 = await memory.stageOne(query, 3, 0.5);
              const all = Uint32Array.from({ length: 400 }, (_, d) => 399 - d);
              return {
                s1,
                coarse: await memory.interaction(s1.qPad, all, true),
                full: await memory.interaction(s1.qPad, all, false),
                decoded: await memory.decoded(query, s1.qPad, all.subarray(0, 50 + k)),
              };
            });
            expect(split.s1.cellIds).toEqual(one.cellIds);
            const all = Uint32Array.from({ length: 400 }, (_, d) => 399 - d);
            expect(split.coarse).toEqual(coarseInteraction(index, one.scoresT, one.qPad, all, one.allowed));
            expect(split.full).toEqual(centroidInteraction(index, one.scoresT, one.qPad, all, undefined));
            expect(split.decoded).toEqual(decodedScores(index, query, all.subarray(0, 50 + k)));
            const filtered = await searchIn(memory, query, k, knobs(k), subset);
            expect(filtered).toEqual(searchPlaid(index, query, k, knobs(k), subset));
            expect(filtered.every((h) => subset[h.doc] === 1)).toBe(true);
          }
        }
      }
    }
  });

  it("merges the parts' best cells with ties to the lower centroid, as the one-thread pass keeps them", async () => {
    const dim = 32;
    const corpus = syntheticColbertCorpus({ documents: 200, queries: 1, dim, docRows: [3, 30], seed: 23 });
    const index = await indexOf(corpus.docs, 2, 128);
    // Centroid 5 copied into 60 and 100 (the other parts for 2 and 3 threads): a query row equal to it scores all three alike.
    const c5 = index.centroids.slice(5 * dim, 6 * dim);
    index.centroids.set(c5, 60 * dim);
    index.centroids.set(c5, 100 * dim);
    const query = { rows: 3, dim, data: new Float32Array(3 * dim) };
    query.data.set(c5, 0);
    query.data.set(corpus.docs[7]!.data.subarray(0, 2 * dim), dim);
    const one = centroidScores(index, query, 4, 0.5);
    expect(Array.from(one.cellIds.subarray(0, 3))).toEqual([5, 60, 100]);
    for (const threads of [2, 3]) {
      const memory = new SearchMemory(index, threads);
      const s1 = await memory.exclusive(() => memory.stageOne(query, 4, 0.5));
      expect(s1.cellIds, `${threads} threads`).toEqual(one.cellIds);
    }
  });

  it('takes concurrent searches of one index in turn, each with its own answer', async () => {
    const dim = 32;
    const corpus = syntheticColbertCorpus({ documents: 300, queries: 8, dim, docRows: [3, 30], seed: 22 });
    const index = await indexOf(corpus.docs, 2, 64);
    const memory = new SearchMemory(index, 2);
    const knobs = { ...defaultKnobs(10), ndocs: 64 };
    const all = await Promise.all(corpus.queries.map((q) => searchIn(memory, q, 10, knobs)));
    all.forEach((hits, i) => expect(hits).toEqual(searchPlaid(index, corpus.queries[i]!, 10, knobs)));
    // Different queries, different answers: the calls did not read each other's scratch.
    expect(new Set(all.map((h) => JSON.stringify(h))).size).toBe(corpus.queries.length);
  });
});
