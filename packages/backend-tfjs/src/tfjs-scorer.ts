import { TesseraError, type EngineScorer, type PackedRows } from '@tessera/core';
import { lengthChunks, queryGroups, scatterScores } from '@tessera/core/backend';
import type { Tf } from './engine.js';

type Query = { rows: number; dim: number; data: Float32Array };

// Padded rows per chunk: the [rows, queries x query rows] products of one chunk stay small.
const CHUNK_ROWS = 8192;

/**
 * MaxSim through TensorFlow.js: core's length chunks kept as [n * L, dim] tensors; a group of
 * queries (shorter ones padded with zero rows, which add nothing) is one matMul per chunk, then
 * max over each document's rows and sum over each query's rows.
 */
export function tfjsScorer(tf: Tf, packed: PackedRows, engine: string): EngineScorer {
  const { dim } = packed;
  const count = packed.offsets.length - 1;
  const chunks = lengthChunks(packed, CHUNK_ROWS).map((c) => ({
    docs: tf.tensor2d(c.data, [c.n * c.length, dim]),
    n: c.n,
    length: c.length,
    index: c.index,
  }));
  let disposed = false;
  async function scoreMany(queries: readonly Query[]): Promise<Float32Array[]> {
    if (disposed) throw new TesseraError('DISPOSED', 'the scorer was disposed', {});
    const out = queries.map(() => new Float32Array(count));
    for (const g of queryGroups(queries, dim, (4 << 20) / CHUNK_ROWS)) {
      for (const c of chunks) {
        const scores = tf.tidy(() => {
          const qs = tf.tensor2d(g.data, [g.count * g.rows, dim]);
          return tf.sum(tf.max(tf.reshape(tf.matMul(c.docs, qs, false, true), [c.n, c.length, g.count, g.rows]), 1), 2);
        });
        let s: Float32Array;
        try {
          s = (await scores.data()) as Float32Array;
        } catch (e) {
          throw new TesseraError(
            'BACKEND_FAILED',
            `tfjs failed scoring ${c.n} documents: ${(e as Error).message}`,
            {},
            { cause: e },
          );
        } finally {
          scores.dispose();
        }
        scatterScores(out, g, c.index, s);
      }
    }
    return out;
  }
  return {
    engine,
    async score(query) {
      return (await scoreMany([query]))[0]!;
    },
    scoreMany,
    async dispose() {
      if (disposed) return;
      disposed = true;
      for (const c of chunks) c.docs.dispose();
    },
  };
}
