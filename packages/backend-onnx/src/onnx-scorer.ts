import { TesseraError, type EngineScorer, type PackedRows } from '@tessera/core';
import { lengthChunks, queryGroups, scatterScores } from '@tessera/core/backend';
import type { Tensor } from 'onnxruntime-node';

type Session = import('onnxruntime-node').InferenceSession;
type Ort = typeof import('onnxruntime-node');

// Rows of one chunk, and (below) query columns per run so that a run's [rows, columns] products
// stay near 16 MB. Measured on 1 x 10k and 64 x 10k (100 rows, dim 96, 2 cores): 65536 rows with
// 64 columns beat 4096-16384 rows and wider query groups (2.4 s vs 2.6-4.0 s for 64 queries).
const CHUNK_ROWS = 65536;

type Query = { rows: number; dim: number; data: Float32Array };

interface Chunk {
  docs: Tensor;
  /** Input index of each document in the chunk. */
  index: Int32Array;
}

/** Documents in core's length chunks, each kept as a tensor; a query runs the MaxSim graph per chunk. */
export class OnnxScorer implements EngineScorer {
  private disposed = false;

  private constructor(
    private readonly ort: Ort,
    private readonly session: Session,
    private readonly chunks: Chunk[],
    private readonly count: number,
    private readonly dim: number,
    readonly engine: string,
  ) {}

  static create(ort: Ort, session: Session, packed: PackedRows, engine: string): OnnxScorer {
    const chunks = lengthChunks(packed, CHUNK_ROWS).map((c) => ({
      docs: new ort.Tensor('float32', c.data, [c.n, c.length, packed.dim]),
      index: c.index,
    }));
    return new OnnxScorer(ort, session, chunks, packed.offsets.length - 1, packed.dim, engine);
  }

  async score(query: Query): Promise<Float32Array> {
    return (await this.scoreMany([query]))[0]!;
  }

  /** Queries of one length (shorter ones padded with zero rows) in groups, one run per chunk and group. */
  async scoreMany(queries: readonly Query[]): Promise<Float32Array[]> {
    if (this.disposed) throw new TesseraError('DISPOSED', 'the scorer was disposed', {});
    const out = queries.map(() => new Float32Array(this.count));
    for (const g of queryGroups(queries, this.dim, (4 << 20) / CHUNK_ROWS)) {
      const cols = g.count * g.rows;
      const qT = new Float32Array(this.dim * cols);
      for (let c = 0; c < cols; c++) for (let k = 0; k < this.dim; k++) qT[k * cols + c] = g.data[c * this.dim + k]!;
      const feeds = {
        queriesT: new this.ort.Tensor('float32', qT, [this.dim, cols]),
        shape: new this.ort.Tensor('int64', BigInt64Array.of(0n, 0n, BigInt(g.count), BigInt(g.rows)), [4]),
      };
      for (const c of this.chunks) {
        let result;
        try {
          result = await this.session.run({ docs: c.docs, ...feeds }, ['scores']);
        } catch (e) {
          throw new TesseraError(
            'BACKEND_FAILED',
            `ONNX Runtime failed scoring ${c.index.length} documents: ${(e as Error).message}`,
            {},
            { cause: e },
          );
        }
        const s = result.scores!.data as Float32Array;
        scatterScores(out, g, c.index, s);
      }
    }
    return out;
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    this.chunks.length = 0;
  }
}
