import { maxSimMany, quantizeBinary, maxSimBinary, topK, type RowMatrix } from '@tessera/core';
import { median, round } from '../measure.js';

export interface MaxSimResult {
  documents: number;
  docRows: number;
  queryRows: number;
  dim: number;
  floatMs: number;
  binaryMs: number;
  top10Agreement: number;
  gflops: number;
}

function unitRows(rows: number, dim: number, next: () => number): RowMatrix {
  const data = new Float32Array(rows * dim);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let j = 0; j < dim; j++) s += (data[r * dim + j] = next()) ** 2;
    const inv = 1 / Math.sqrt(s);
    for (let j = 0; j < dim; j++) data[r * dim + j]! *= inv;
  }
  return { rows, dim, data };
}

/** One query against many documents: float MaxSim, binary (Hamming) MaxSim, and their top-10 agreement. */
export function maxSimBench(documents: number, repetitions: number, docRows = 100, queryRows = 32, dim = 96): MaxSimResult {
  let seed = 99;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648 - 0.5;
  // Documents share a topic direction with the query in varying amounts, so rankings mean something.
  const q = unitRows(queryRows, dim, next);
  const docs = Array.from({ length: documents }, (_, i) => {
    const d = unitRows(docRows, dim, next);
    const w = 0.8 * ((next() + 0.5) ** 2);
    for (let r = 0; r < docRows; r++) for (let j = 0; j < dim; j++) d.data[r * dim + j] = (1 - w) * d.data[r * dim + j]! + w * q.data[(r % queryRows) * dim + j]!;
    return d;
  });
  const time = (fn: () => void) => {
    fn();
    const ts: number[] = [];
    for (let r = 0; r < repetitions; r++) {
      const t0 = performance.now();
      fn();
      ts.push(performance.now() - t0);
    }
    return median(ts);
  };
  let floatScores: Float32Array = new Float32Array();
  const floatMs = time(() => (floatScores = maxSimMany(q, docs)));
  const qb = quantizeBinary(q);
  const db = docs.map((d) => quantizeBinary(d));
  const binScores = new Float32Array(documents);
  const binaryMs = time(() => db.forEach((d, i) => (binScores[i] = maxSimBinary(qb, d))));
  const a = new Set(topK(floatScores, 10).map((r) => r.index));
  const agree = topK(binScores, 10).filter((r) => a.has(r.index)).length / 10;
  return {
    documents,
    docRows,
    queryRows,
    dim,
    floatMs: round(floatMs, 1),
    binaryMs: round(binaryMs, 1),
    top10Agreement: agree,
    gflops: round((2 * documents * docRows * queryRows * dim) / (floatMs / 1000) / 1e9, 2),
  };
}
