import { TesseraError } from '../errors.js';
import type { RowMatrix } from '../scoring/maxsim.js';
import { decodeRow, residualBytes } from './codec.js';
import { dotScores } from './dot-scores.js';
import { centroidInteraction, paddedRows } from './interaction.js';
import type { PlaidIndex } from './plaid-index.js';

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
 * The knobs by k: colbert-ai's table (k ≤ 10, ≤ 100, beyond), except ncells one step higher for
 * k ≤ 100, where candidate generation cost the most recall in bench/ (--only search).
 */
export function defaultKnobs(k: number): PlaidKnobs {
  if (k <= 10) return { ncells: 2, centroidScoreThreshold: 0.5, ndocs: 256, rescore: 64 };
  if (k <= 100) return { ncells: 4, centroidScoreThreshold: 0.45, ndocs: 1024, rescore: 256 };
  const ndocs = Math.max(k * 4, 4096);
  return { ncells: 4, centroidScoreThreshold: 0.4, ndocs, rescore: Math.max(k, ndocs / 4) };
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

/** The n largest values' positions (or their labels), largest first; ties go to the lower position. */
function topIndices(values: ArrayLike<number>, n: number, labels?: Uint32Array): number[] {
  const idx = Array.from({ length: values.length }, (_, i) => i);
  idx.sort((a, b) => values[b]! - values[a]! || a - b);
  const top = idx.slice(0, n);
  return labels ? top.map((i) => labels[i]!) : top;
}

/**
 * Searches in PLAID's stages: query rows against centroids; candidates from the inverted lists
 * of each query row's ncells best centroids; a pruned centroid ranking keeps ndocs; a full one
 * keeps ndocs / 4; those are decoded and scored by MaxSim. Returns the best max(k, rescore) by
 * that score, for the caller to rescore from the stored rows.
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
  knobs = defaultKnobs(k),
  subset?: Uint8Array,
): PlaidHit[] {
  if (query.dim !== index.dim)
    throw new TesseraError('DIMENSION_MISMATCH', `the query has rows of ${query.dim}, the index ${index.dim}`, {
      expected: index.dim,
      actual: query.dim,
    });
  const qRows = query.rows;
  const docsTotal = index.ids.length;
  if (qRows === 0 || docsTotal === 0) return [];
  // Centroid scores laid out [k, qPad], one centroid's scores together, as the interaction kernel
  // reads them (qPad: qRows rounded up to the SIMD width). The padding rows are zero vectors: their
  // scores are 0, which adds nothing to an interaction sum, and are left out of the maxima below.
  const qPad = paddedRows(qRows);
  const padded = qPad === qRows ? query.data : new Float32Array(qPad * index.dim);
  if (padded !== query.data) padded.set(query.data.subarray(0, qRows * index.dim));
  const scoresT = dotScores(index.centroids, index.k, padded, qPad, index.dim, undefined, true);
  // Each centroid's best score over the query rows (stage 2's pruning) and each query row's
  // ncells best centroids (the candidates), in one pass over the table.
  const centroidMax = new Float32Array(index.k).fill(-Infinity);
  const cells = Math.min(knobs.ncells, index.k);
  const cellIds = new Int32Array(qRows * cells).fill(-1);
  const cellScores = new Float32Array(qRows * cells).fill(-Infinity);
  for (let c = 0; c < index.k; c++) {
    const o = c * qPad;
    let max = -Infinity;
    for (let q = 0; q < qRows; q++) {
      const v = scoresT[o + q]!;
      if (v > max) max = v;
      // Insertion into q's best list (ties keep the lower centroid, which came first).
      let at = q * cells + cells - 1;
      if (!(v > cellScores[at]!)) continue;
      while (at > q * cells && v > cellScores[at - 1]!) {
        cellScores[at] = cellScores[at - 1]!;
        cellIds[at] = cellIds[at - 1]!;
        at--;
      }
      cellScores[at] = v;
      cellIds[at] = c;
    }
    centroidMax[c] = max;
  }

  // Candidates: the documents listed under each query row's ncells best centroids; in a corpus no
  // larger than ndocs, every document (the ranking stages below cost little there).
  let docs: Uint32Array;
  const inSubset = subset ? subset.reduce((n, b) => n + b, 0) : docsTotal;
  if (inSubset === 0) return [];
  if (inSubset <= knobs.ndocs) docs = everyDocument(docsTotal, subset);
  else {
    const marked = new Uint8Array(docsTotal);
    const candidates: number[] = [];
    for (let q = 0; q < qRows; q++) {
      for (let j = q * cells; j < (q + 1) * cells && cellIds[j]! >= 0; j++) {
        const c = cellIds[j]!;
        for (let i = index.ivfOffsets[c]!; i < index.ivfOffsets[c + 1]!; i++) {
          const d = index.ivfDocs[i]!;
          if (!marked[d] && (!subset || subset[d])) {
            marked[d] = 1;
            candidates.push(d);
          }
        }
      }
    }
    docs = Uint32Array.from(candidates);
  }

  // Stage 2: centroid interaction over the centroids some query row scores well.
  if (docs.length > knobs.ndocs) {
    const allowed = new Uint8Array(index.k);
    for (let c = 0; c < index.k; c++) allowed[c] = centroidMax[c]! >= knobs.centroidScoreThreshold ? 1 : 0;
    const pruned = centroidInteraction(index, scoresT, qPad, docs, allowed);
    docs = Uint32Array.from(topIndices(pruned, knobs.ndocs, docs));
  }
  // Stage 3: full centroid interaction, a quarter kept.
  const keep = Math.max(k, Math.floor(knobs.ndocs / 4));
  if (docs.length > keep) {
    const full = centroidInteraction(index, scoresT, qPad, docs, undefined);
    docs = Uint32Array.from(topIndices(full, keep, docs));
  }
  // Stage 4: decode the survivors' rows and score them by MaxSim (one kernel call for all of them).
  const rb = residualBytes(index.dim, index.codec.nbits);
  let total = 0;
  for (const d of docs) total += index.docOffsets[d + 1]! - index.docOffsets[d]!;
  const decoded = new Float32Array(total * index.dim);
  const row = new Float32Array(index.dim);
  let at = 0;
  for (const d of docs)
    for (let r = index.docOffsets[d]!; r < index.docOffsets[d + 1]!; r++, at++) {
      decodeRow(index.codec, index.centroids, index.codes[r]! * index.dim, index.residuals, r * rb, row);
      decoded.set(row, at * index.dim);
    }
  const rowScores = dotScores(query.data, qRows, decoded, total, index.dim);
  const hits: PlaidHit[] = [];
  let first = 0;
  for (const d of docs) {
    const n = index.docOffsets[d + 1]! - index.docOffsets[d]!;
    let score = 0;
    for (let q = 0; q < qRows; q++) {
      let best = -Infinity;
      const o = q * total + first;
      for (let r = 0; r < n; r++) if (rowScores[o + r]! > best) best = rowScores[o + r]!;
      if (best > -Infinity) score += best;
    }
    hits.push({ doc: d, score });
    first += n;
  }
  hits.sort((a, b) => b.score - a.score || a.doc - b.doc);
  return hits.slice(0, Math.max(k, knobs.rescore));
}
