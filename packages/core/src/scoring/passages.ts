import { maxSimMany, type RowMatrix } from './maxsim.js';

/** One passage of a document stored as several: its text span and how many of the document's rows are its. */
export interface PassageSpan {
  start: number;
  end: number;
  rows: number;
}

/** A document for passage-aware scoring: all its rows, and its passages' row counts in order when it has several. */
export interface PassageDocument {
  vectors: RowMatrix;
  passages?: readonly PassageSpan[];
}

/** Each passage's rows as a view of the document's rows. */
export function passageRows(doc: PassageDocument): RowMatrix[] {
  const { vectors, passages } = doc;
  if (!passages || passages.length < 2) return [vectors];
  const out: RowMatrix[] = [];
  let at = 0;
  for (const p of passages) {
    out.push({
      data: vectors.data.subarray(at * vectors.dim, (at + p.rows) * vectors.dim),
      rows: p.rows,
      dim: vectors.dim,
    });
    at += p.rows;
  }
  return out;
}

/**
 * Each document's score against the query: MaxSim of its best passage (a document stored whole is
 * one passage), and which passage that was. One call to the MaxSim kernel over every passage.
 */
export function bestPassageScores(
  q: RowMatrix,
  docs: readonly PassageDocument[],
): { scores: Float32Array; passage: Int32Array } {
  const views: RowMatrix[] = [];
  const first = new Int32Array(docs.length + 1);
  docs.forEach((d, i) => {
    for (const v of passageRows(d)) views.push(v);
    first[i + 1] = views.length;
  });
  const all = maxSimMany(q, views);
  const scores = new Float32Array(docs.length);
  const passage = new Int32Array(docs.length);
  for (let i = 0; i < docs.length; i++) {
    let best = first[i]!;
    for (let v = first[i]! + 1; v < first[i + 1]!; v++) if (all[v]! > all[best]!) best = v;
    scores[i] = all[best]!;
    passage[i] = best - first[i]!;
  }
  return { scores, passage };
}

/** Whether passages' row counts add up to the rows they divide (a store's check on write). */
export function passagesFit(passages: readonly PassageSpan[], rows: number): boolean {
  let sum = 0;
  for (const p of passages) {
    if (
      !Number.isInteger(p.rows) ||
      p.rows < 1 ||
      !Number.isInteger(p.start) ||
      !Number.isInteger(p.end) ||
      p.start < 0 ||
      p.end < p.start
    )
      return false;
    sum += p.rows;
  }
  return sum === rows;
}
