import { isTesseraError } from '../errors.js';
import { openFixtureSpec } from './fixture-access.js';
import { dotScoresJs } from '../plaid/dot-scores.js';
import { maxSim, topK, type RowMatrix } from '../scoring/maxsim.js';
import type { DocumentScorer } from '../scoring/scorer.js';
import { expect, expectRejection, fail } from './check.js';
import type { CaseContext } from './context.js';

/** Seeded rows in [-1, 1): the same documents for every backend and run. */
function rows(seed: number, n: number, dim: number): RowMatrix {
  let s = seed >>> 0 || 1;
  const data = new Float32Array(n * dim);
  for (let i = 0; i < data.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    data[i] = s / 2 ** 31 - 1;
  }
  return { rows: n, dim, data };
}

const DIM = 48;
// Ragged on purpose: empty, shorter than any block, block edges and past them, one long document.
const LENGTHS = [0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 33, 64, 100, 130, 300, 3, 0, 12];

function documents(): RowMatrix[] {
  const docs = LENGTHS.map((n, i) => rows(1000 + i, n, DIM));
  docs[7]!.data[5] = NaN; // a NaN document scores NaN
  return docs;
}

function close(got: Float32Array, docs: readonly RowMatrix[], q: RowMatrix, what: string): void {
  if (got.length !== docs.length) fail(`${what}: ${got.length} scores for ${docs.length} documents`);
  docs.forEach((d, i) => {
    const want = maxSim(q, d);
    const g = got[i]!;
    if (Number.isNaN(want)) {
      if (!Number.isNaN(g)) fail(`${what}: document ${i} holds NaN and must score NaN, got ${g}`);
      return;
    }
    const hint =
      d.rows === 0
        ? ' (a document without rows scores 0)'
        : d.rows % 4
          ? ' (a document whose rows are not a multiple of the block size: padding rows must not count)'
          : '';
    if (!(Math.abs(g - want) <= 1e-4 * Math.max(1, Math.abs(want))))
      fail(`${what}: document ${i} (${d.rows} rows) scores ${g}, the reference MaxSim is ${want}${hint}`);
  });
}

/** A fresh model and its scorer over documents() for one case; both disposed after it. */
async function withScorer(
  c: CaseContext,
  dir: string,
  run: (s: DocumentScorer, docs: RowMatrix[]) => Promise<void>,
): Promise<void> {
  const t = await c.create(dir);
  try {
    const docs = documents();
    const s = await t.scorer(docs);
    try {
      await run(s, docs);
    } finally {
      await s.dispose();
    }
  } finally {
    await t.dispose();
  }
}

/**
 * t.scorer(): when the backend offers createScorer, core scores float32 documents through it;
 * either way the scores equal the reference MaxSim on ragged, empty and NaN documents, for
 * queries of several lengths, kept between calls, concurrent, and refused after dispose.
 */
export function scorerCases(c: CaseContext, fixture: { name: string; dir: string }): void {
  const { it, describe } = c.harness;
  describe(`${c.backendName} conformance: scorer (${fixture.name})`, () => {
    it('scores ragged, empty and NaN documents as the reference MaxSim does, query after query', async () => {
      await withScorer(c, fixture.dir, async (s, docs) => {
        for (const [seed, n] of [
          [1, 32],
          [2, 1],
          [3, 5],
          [4, 40],
        ] as const) {
          const q = rows(seed, n, DIM);
          close(await s.score(q), docs, q, `${s.engine}, a ${n}-row query`);
        }
        const q = rows(9, 7, DIM);
        const want = topK(
          Float32Array.from(docs, (d) => maxSim(q, d)),
          5,
        ).map((r) => r.index);
        expect(
          (await s.topK(q, 5)).map((r) => r.index),
          `${s.engine}: topK(5)`,
        ).toEqual(want);
        const many = await s.scoreMany([rows(5, 3, DIM), rows(6, 9, DIM)]);
        close(many[0]!, docs, rows(5, 3, DIM), `${s.engine}, scoreMany query 0`);
        close(many[1]!, docs, rows(6, 9, DIM), `${s.engine}, scoreMany query 1`);
      });
    });

    it('assigns rows to their best row of another set as core does, when it offers nearestRows', async () => {
      const model = await c.load(await openFixtureSpec(fixture.dir));
      try {
        if (!model.nearestRows) return;
        // More rows than one block of many engines, a centroid count that is not a power of two.
        const a = rows(31, 700, DIM);
        const b = rows(32, 37, DIM);
        const got = await model.nearestRows(a.data, a.rows, b.data, b.rows, DIM);
        const scores = dotScoresJs(a.data, a.rows, b.data, b.rows, DIM);
        if (got.length !== a.rows) fail(`nearestRows: ${got.length} answers for ${a.rows} rows`);
        for (let i = 0; i < a.rows; i++) {
          let best = -Infinity;
          for (let j = 0; j < b.rows; j++) best = Math.max(best, scores[i * b.rows + j]!);
          const chosen = scores[i * b.rows + got[i]!];
          // A tie may go either way; anything else is a wrong row.
          if (chosen === undefined || !(best - chosen <= 1e-4 * Math.max(1, Math.abs(best))))
            fail(`nearestRows: row ${i} got ${got[i]} (dot ${chosen}), the best dot is ${best}`);
        }
      } finally {
        await model.dispose();
      }
    });

    it('gives each of several concurrent queries its own scores', async () => {
      await withScorer(c, fixture.dir, async (s, docs) => {
        const qs = [rows(11, 4, DIM), rows(12, 17, DIM), rows(13, 2, DIM)];
        const got = await Promise.all(qs.map((q) => s.score(q)));
        got.forEach((g, i) => close(g, docs, qs[i]!, `${s.engine}, concurrent query ${i}`));
      });
    });

    it('answers an empty query with zeros, a NaN query with NaN, and refuses another dimension and calls after dispose', async () => {
      await withScorer(c, fixture.dir, async (s, docs) => {
        const zero = await s.score({ rows: 0, dim: DIM, data: new Float32Array(0) });
        if (zero.some((x) => x !== 0)) fail(`${s.engine}: a query without rows must score every document 0`);
        const nanQuery = rows(21, 3, DIM);
        nanQuery.data[4] = NaN;
        close(
          await s.score(nanQuery),
          docs,
          nanQuery,
          `${s.engine}, a query holding NaN (NaN against documents with rows, 0 against empty ones)`,
        );
        const err = await expectRejection(s.score(rows(22, 3, DIM + 4)), /dimension/);
        if (!isTesseraError(err, 'DIMENSION_MISMATCH'))
          fail(`${s.engine}: a query of another dimension must be a DIMENSION_MISMATCH error`);
        await s.dispose();
        const gone = await expectRejection(s.score(rows(23, 3, DIM)), /disposed/);
        if (!isTesseraError(gone, 'DISPOSED')) fail(`${s.engine}: scoring after dispose() must be a DISPOSED error`);
      });
    });
  });
}
