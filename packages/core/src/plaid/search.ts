import { TesseraError } from '../errors.js';
import type { RowMatrix } from '../scoring/maxsim.js';
import { decodedScores } from './decode-score.js';
import { centroidScores } from './centroid-scores.js';
import { centroidInteraction, coarseInteraction } from './interaction.js';
import type { PlaidIndex } from './plaid-index.js';
import { type SearchMemory, searchMemory } from './search-threads.js';
import { topPositions } from './select.js';

/** PLAID's search knobs. */
export interface PlaidKnobs {
  /** Centroids probed per query row to gather candidates. */
  ncells: number;
  /** Centroids scoring below this for every query row are skipped in the first ranking. */
  centroidScoreThreshold: number;
  /** Candidates kept by the pruned centroid ranking; a quarter of them are decoded and scored. */
  ndocs: number;
  /** The best decoded candidates whose stored rows are rescored exactly (at least k). */
  rescore: number;
}

/**
 * The knobs by k: colbert-ai's table (k ≤ 10, ≤ 100, beyond) for the threshold and ndocs, with
 * more cells probed (6 for k ≤ 10, 8 beyond, against colbert-ai's 1 and 4): candidate generation
 * is where recall went in bench/ (--only search), and once stage 2 ran in the SIMD kernel the
 * extra candidates cost little time. rescore (colbert-ai has none: its scores are the decoded
 * ones) is the exact pass's share of the time; for k ≤ 10, 32 decoded candidates held every exact
 * top-10 document that 64 did in bench/, except from a pooled index (poolFactor > 1), whose
 * decoded rows are averages of rows.
 */
export function defaultKnobs(k: number, poolFactor = 1): PlaidKnobs {
  if (k <= 10) return { ncells: 6, centroidScoreThreshold: 0.5, ndocs: 256, rescore: poolFactor > 1 ? 64 : 32 };
  if (k <= 100) return { ncells: 8, centroidScoreThreshold: 0.45, ndocs: 1024, rescore: 256 };
  const ndocs = Math.max(k * 4, 4096);
  return { ncells: 8, centroidScoreThreshold: 0.4, ndocs, rescore: Math.max(k, ndocs / 4) };
}

export interface PlaidHit {
  /** Document number in the index. */
  doc: number;
  /** MaxSim against the decoded rows. */
  score: number;
}

/** Every document's number, or a subset's. */
function everyDocument(total: number, subset: Uint8Array | undefined): Uint32Array {
  if (!subset) return Uint32Array.from({ length: total }, (_, d) => d);
  const out: number[] = [];
  for (let d = 0; d < total; d++) if (subset[d]) out.push(d);
  return Uint32Array.from(out);
}

/** Refuses a knob the stages cannot run with (an API caller's; the CLI checks its own flags). */
function checkKnobs(knobs: PlaidKnobs): void {
  const wrong = (field: string, want: string) =>
    new TesseraError(
      'INVALID_OPTION',
      `knobs.${field} must be ${want} (got ${JSON.stringify(knobs[field as keyof PlaidKnobs])})`,
      {
        field,
      },
    );
  if (!Number.isInteger(knobs.ncells) || knobs.ncells < 1) throw wrong('ncells', 'an integer >= 1');
  if (!Number.isInteger(knobs.ndocs) || knobs.ndocs < 1) throw wrong('ndocs', 'an integer >= 1');
  if (!Number.isInteger(knobs.rescore) || knobs.rescore < 0) throw wrong('rescore', 'an integer >= 0');
  if (!Number.isFinite(knobs.centroidScoreThreshold)) throw wrong('centroidScoreThreshold', 'a finite number');
}

/** The documents with the n best scores, best first. */
const best = (scores: Float32Array, n: number, docs: Uint32Array) => topPositions(scores, n).map((i) => docs[i]!);

/** Refuses a query the index cannot answer; true when there is nothing to search. */
function nothingToSearch(index: PlaidIndex, query: RowMatrix, knobs: PlaidKnobs): boolean {
  if (query.dim !== index.dim)
    throw new TesseraError('DIMENSION_MISMATCH', `the query has rows of ${query.dim}, the index ${index.dim}`, {
      expected: index.dim,
      actual: query.dim,
    });
  checkKnobs(knobs);
  return query.rows === 0 || index.ids.length === 0;
}

/**
 * The candidates: the documents listed under each query row's best centroids (in document
 * order: the interaction then reads the documents' centroid lists front to back); in a corpus or
 * subset no larger than ndocs, every allowed document (the ranking stages cost little there).
 */
function candidates(
  index: PlaidIndex,
  cellIds: Int32Array,
  cells: number,
  qRows: number,
  ndocs: number,
  subset: Uint8Array | undefined,
): Uint32Array {
  const docsTotal = index.ids.length;
  const inSubset = subset ? subset.reduce((n, b) => n + b, 0) : docsTotal;
  if (inSubset <= ndocs) return everyDocument(docsTotal, subset);
  const marked = new Uint8Array(docsTotal);
  let count = 0;
  for (let q = 0; q < qRows; q++) {
    for (let j = q * cells; j < (q + 1) * cells && cellIds[j]! >= 0; j++) {
      const c = cellIds[j]!;
      for (let i = index.ivfOffsets[c]!; i < index.ivfOffsets[c + 1]!; i++) {
        const d = index.ivfDocs[i]!;
        if (!marked[d] && (!subset || subset[d])) {
          marked[d] = 1;
          count++;
        }
      }
    }
  }
  const docs = new Uint32Array(count);
  for (let d = 0, at = 0; at < count; d++) if (marked[d]) docs[at++] = d;
  return docs;
}

/** The decoded candidates best first, as many as the caller rescores. */
function ranked(docs: Uint32Array, scores: Float32Array, k: number, knobs: PlaidKnobs): PlaidHit[] {
  const hits: PlaidHit[] = Array.from(docs, (doc, j) => ({ doc, score: scores[j]! }));
  hits.sort((a, b) => b.score - a.score || a.doc - b.doc);
  return hits.slice(0, Math.max(k, knobs.rescore));
}

/**
 * Searches in PLAID's stages: query rows against centroids; candidates from the inverted lists
 * of each query row's ncells best centroids; a pruned centroid ranking keeps ndocs; a full one
 * keeps ndocs / 4; those are decoded and scored by MaxSim. Returns the best max(k, rescore) by
 * that score, for the caller to rescore from the stored rows. On this thread: searchPlaidThreads
 * runs the same stages on several.
 *
 * `subset` (one byte per document, 1 = allowed) restricts the search to a filter's documents
 * before any scoring, as fast-plaid's subset search does: a subset no larger than ndocs is
 * scored whole (the centroid stages could miss a small subset's documents entirely), a larger
 * one through the stages with the others left out of the candidates.
 */
export function searchPlaid(
  index: PlaidIndex,
  query: RowMatrix,
  k: number,
  knobs = defaultKnobs(k, index.poolFactor),
  subset?: Uint8Array,
): PlaidHit[] {
  if (nothingToSearch(index, query, knobs)) return [];
  // Stage 1: the query against the centroids; each centroid's best score and each query row's
  // ncells best centroids.
  const { scoresT, qPad, allowed, cellIds, cells } = centroidScores(
    index,
    query,
    knobs.ncells,
    knobs.centroidScoreThreshold,
  );
  let docs = candidates(index, cellIds, cells, query.rows, knobs.ndocs, subset);
  if (!docs.length) return [];
  // Stage 2: centroid interaction over the centroids some query row scores well.
  if (docs.length > knobs.ndocs) docs = best(coarseInteraction(index, scoresT, qPad, docs, allowed), knobs.ndocs, docs);
  // Stage 3: full centroid interaction, a quarter kept.
  const keep = Math.max(k, Math.floor(knobs.ndocs / 4));
  if (docs.length > keep) docs = best(centroidInteraction(index, scoresT, qPad, docs, undefined), keep, docs);
  // Stage 4: the survivors' rows decoded and scored by MaxSim.
  return ranked(docs, decodedScores(index, query, docs), k, knobs);
}

/**
 * searchPlaid's stages with each kernel's work split over `threads` (default: the cores) through
 * core's worker pool, in the index's shared search memory (search-threads.ts): the same results
 * to the bit. Where that cannot run (one thread granted, no shared memory), searchPlaid answers.
 */
export function searchPlaidThreads(
  index: PlaidIndex,
  query: RowMatrix,
  k: number,
  knobs = defaultKnobs(k, index.poolFactor),
  subset?: Uint8Array,
  threads?: number,
): Promise<PlaidHit[]> {
  const memory = searchMemory(index, threads);
  if (!memory) return Promise.resolve().then(() => searchPlaid(index, query, k, knobs, subset));
  return searchIn(memory, query, k, knobs, subset);
}

/** searchPlaid's stages in a search memory of the index (its threads' parts of each kernel at once). */
export async function searchIn(
  memory: SearchMemory,
  query: RowMatrix,
  k: number,
  knobs: PlaidKnobs,
  subset?: Uint8Array,
): Promise<PlaidHit[]> {
  const { index } = memory;
  if (nothingToSearch(index, query, knobs)) return [];
  return memory.exclusive(async () => {
    const { qPad, cellIds, cells } = await memory.stageOne(query, knobs.ncells, knobs.centroidScoreThreshold);
    let docs = candidates(index, cellIds, cells, query.rows, knobs.ndocs, subset);
    if (!docs.length) return [];
    if (docs.length > knobs.ndocs) docs = best(await memory.interaction(qPad, docs, true), knobs.ndocs, docs);
    const keep = Math.max(k, Math.floor(knobs.ndocs / 4));
    if (docs.length > keep) docs = best(await memory.interaction(qPad, docs, false), keep, docs);
    return ranked(docs, await memory.decoded(query, qPad, docs), k, knobs);
  });
}
