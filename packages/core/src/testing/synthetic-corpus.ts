import { seeded } from '../random.js';
import type { RowMatrix } from '../scoring/maxsim.js';

export interface SyntheticCorpusOptions {
  documents: number;
  queries: number;
  dim: number;
  /** Distinct "tokens" (default 4000), drawn with Zipf frequencies as words are. */
  vocabulary?: number;
  /** Rows per document, from min to max (default 20 to 120). */
  docRows?: [number, number];
  /** Rows per query (default 32). */
  queryRows?: number;
  /** How far a row strays from its token's vector (default 0.35): the context's share. */
  noise?: number;
  seed?: number;
}

export interface SyntheticCorpus {
  docs: RowMatrix[];
  queries: RowMatrix[];
  /** The document each query was drawn from. */
  sources: number[];
}

/**
 * Multi-vector embeddings with the structure a trained ColBERT model gives and a random-weight
 * fixture does not: every row is its token's vector plus context noise (so rows cluster by
 * token), tokens follow Zipf frequencies, rows lean to one shared direction, and a query holds
 * tokens of one document (and a few others). Searching it means something: the source document
 * ranks high, and exact MaxSim's top 10 is a real ranking for an index to reproduce.
 */
export function syntheticColbertCorpus(options: SyntheticCorpusOptions): SyntheticCorpus {
  const { documents, queries, dim } = options;
  const vocabulary = options.vocabulary ?? 4000;
  const [minRows, maxRows] = options.docRows ?? [20, 120];
  const queryRows = options.queryRows ?? 32;
  const noise = options.noise ?? 0.35;
  const uniform = seeded(options.seed ?? 7);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
  const unit = (v: Float32Array) => {
    let n = 0;
    for (let i = 0; i < v.length; i++) n += v[i]! * v[i]!;
    const k = 1 / Math.sqrt(n || 1);
    for (let i = 0; i < v.length; i++) v[i]! *= k;
    return v;
  };
  const common = unit(Float32Array.from({ length: dim }, gauss));
  const tokens = Array.from({ length: vocabulary }, () => {
    const v = unit(Float32Array.from({ length: dim }, gauss));
    for (let i = 0; i < dim; i++) v[i]! += 0.5 * common[i]!;
    return unit(v);
  });
  // Zipf(1): P(rank r) ∝ 1/r, drawn through the cumulative table.
  const cumulative = new Float64Array(vocabulary);
  let total = 0;
  for (let r = 0; r < vocabulary; r++) cumulative[r] = total += 1 / (r + 1);
  const token = () => {
    const x = uniform() * total;
    let lo = 0;
    let hi = vocabulary - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const row = (t: number, out: Float32Array, at: number) => {
    let n = 0;
    const base = tokens[t]!;
    for (let i = 0; i < dim; i++) {
      const v = base[i]! + (noise / Math.sqrt(dim)) * gauss();
      out[at + i] = v;
      n += v * v;
    }
    const k = 1 / Math.sqrt(n);
    for (let i = 0; i < dim; i++) out[at + i]! *= k;
  };
  const docTokens: number[][] = [];
  const docs = Array.from({ length: documents }, () => {
    const rows = minRows + Math.floor(uniform() * (maxRows - minRows + 1));
    const ids = Array.from({ length: rows }, token);
    docTokens.push(ids);
    const data = new Float32Array(rows * dim);
    ids.forEach((t, r) => row(t, data, r * dim));
    return { rows, dim, data };
  });
  const sources: number[] = [];
  const qs = Array.from({ length: queries }, () => {
    const source = Math.floor(uniform() * documents);
    sources.push(source);
    const own = docTokens[source]!;
    const data = new Float32Array(queryRows * dim);
    for (let r = 0; r < queryRows; r++) {
      // Most query rows are the source's tokens; some are other words.
      const t = uniform() < 0.75 ? own[Math.floor(uniform() * own.length)]! : token();
      row(t, data, r * dim);
    }
    return { rows: queryRows, dim, data };
  });
  return { docs, queries: qs, sources };
}
