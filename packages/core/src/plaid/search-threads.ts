import { cores, pool } from '../scoring/pool.js';
import type { RowMatrix } from '../scoring/maxsim.js';
import { type KernelCall, newKey, newSharedMemory, type SharedMemory } from '../scoring/wasm-kernels.js';
import { residualBytes } from './codec.js';
import { resetBestCells } from './centroid-scores.js';
import { decodeTable, writeBlockedQuery } from './decode-score.js';
import { shortTable } from './dot-scores.js';
import { documentCentroids, paddedRows } from './interaction.js';
import type { PlaidIndex } from './plaid-index.js';
import { shortRows } from './short-rows.js';

const align = (n: number) => Math.ceil(n / 16) * 16;
// Room a search memory may grow to (a WebAssembly memory's most).
const MAX_BYTES = 2 ** 32 - 2 ** 16;

/** Where the resident parts of an index sit in its search memory. */
interface Resident {
  f32At: number;
  i16At: number;
  listsAt: number;
  offsetsAt: number;
  lutAt: number;
  /** Where each search's scratch starts. */
  end: number;
}

/** What stage 1 leaves for the later stages, in the memory and here. */
export interface StageOne {
  qPad: number;
  /** Each query row's `cells` best centroids, best first ([qRows, cells]; -1 where there are fewer). */
  cellIds: Int32Array;
  cells: number;
}

/**
 * A loaded index's search in one shared memory: its centroids (as floats and as 16-bit rows)
 * and each document's distinct centroids stay resident, and each stage's kernel runs on parts of
 * the work at once, this thread's part here and the others on core's worker pool (scoring/pool).
 * The same kernels as the one-thread search (interaction.ts, centroid-scores.ts, decode-score.ts)
 * over the same inputs, so the results are the same to the bit; only the split differs. A search
 * holds the memory's scratch for its whole run, so concurrent searches of one index take turns.
 */
export class SearchMemory {
  private readonly key = newKey();
  private readonly memory: SharedMemory;
  private readonly at: Resident;
  private busy: Promise<unknown> = Promise.resolve();

  constructor(
    readonly index: PlaidIndex,
    readonly threads: number,
  ) {
    const { k, dim } = index;
    const lists = documentCentroids(index);
    const lut = decodeTable(index.codec);
    const f32At = 0;
    const i16At = align(k * dim * 4);
    const listsAt = align(i16At + k * dim * 2);
    const offsetsAt = align(listsAt + lists.codes.byteLength);
    const lutAt = align(offsetsAt + lists.offsets.byteLength);
    const end = align(lutAt + lut.byteLength);
    this.at = { f32At, i16At, listsAt, offsetsAt, lutAt, end };
    this.memory = newSharedMemory(end, MAX_BYTES);
    const buffer = this.memory.buffer;
    new Float32Array(buffer, f32At, k * dim).set(index.centroids.subarray(0, k * dim));
    new Int16Array(buffer, i16At, k * dim).set(shortTable(index.centroids, k, dim).data);
    new Uint32Array(buffer, listsAt, lists.codes.length).set(lists.codes);
    new Uint32Array(buffer, offsetsAt, lists.offsets.length).set(lists.offsets);
    new Float32Array(buffer, lutAt, lut.length).set(lut);
    dropWhenCollected.register(this, this.key);
  }

  /** Runs one search's stages with the scratch to itself. */
  exclusive<T>(run: () => Promise<T>): Promise<T> {
    const next = this.busy.then(run, run);
    this.busy = next.catch(() => undefined);
    return next;
  }

  /** The memory's bytes from `from`, grown to hold `bytes` of them first. */
  private scratch(from: number, bytes: number): ArrayBuffer {
    const need = from + bytes;
    const have = this.memory.buffer.byteLength;
    if (need > have) this.memory.grow(Math.ceil((need - have) / 65536));
    return this.memory.buffer;
  }

  private run(parts: KernelCall[][]): Promise<void> {
    return pool.calls(this.key, this.memory, 'plaid', parts);
  }

  /** [start, end) of `total` in this.threads parts, each start a multiple of `step`. */
  private splits(total: number, step = 1): [number, number][] {
    const parts = Math.max(1, Math.min(this.threads, Math.floor(total / step)));
    const out: [number, number][] = [];
    for (let p = 0; p < parts; p++) {
      const from = p === 0 ? 0 : Math.round((total * p) / parts / step) * step;
      const to = p === parts - 1 ? total : Math.round((total * (p + 1)) / parts / step) * step;
      out.push([from, to]);
    }
    return out;
  }

  // Scratch layout (from at.end): query16 | qT | scores | coarse | zero | allowed | max | docs | out |
  // per part: ids | top | floor | best | decode scratch; then the decoded candidates' codes.
  private layout(qPad: number, cells: number) {
    const { k, dim } = this.index;
    const docs = this.index.ids.length;
    const q16At = this.at.end;
    const qTAt = align(q16At + qPad * dim * 2);
    const scoresAt = align(qTAt + qPad * dim * 4);
    const coarseAt = align(scoresAt + k * qPad * 4);
    const zeroAt = align(coarseAt + k * qPad);
    const allowedAt = align(zeroAt + qPad);
    const maxAt = align(allowedAt + k);
    const docsAt = align(maxAt + k * 4);
    const outAt = align(docsAt + docs * 4);
    const partBytes = align(qPad * cells * 4) * 2 + align(qPad * 4) * 2 + align((dim + 8) * 4);
    const partsAt = align(outAt + docs * 4);
    const part = (p: number) => {
      const idsAt = partsAt + p * partBytes;
      const topAt = idsAt + align(qPad * cells * 4);
      const floorAt = topAt + align(qPad * cells * 4);
      const bestAt = floorAt + align(qPad * 4);
      const decodeAt = bestAt + align(qPad * 4);
      return { idsAt, topAt, floorAt, bestAt, decodeAt };
    };
    const end = partsAt + partBytes * this.threads;
    return { q16At, qTAt, scoresAt, coarseAt, zeroAt, allowedAt, maxAt, docsAt, outAt, part, end };
  }

  private current: ReturnType<SearchMemory['layout']> | undefined;

  /**
   * Stage 1: the query against every centroid in 16-bit rows, each part a range of centroids
   * scoring, passing over its scores (each centroid's best, the allowed ones, each query row's
   * best cells) and writing the byte copy stage 2 reads; the parts' best cells merged here.
   */
  async stageOne(query: RowMatrix, cells: number, threshold: number): Promise<StageOne> {
    const { k, dim } = this.index;
    const qRows = query.rows;
    const qPad = paddedRows(qRows);
    cells = Math.min(cells, k);
    const L = this.layout(qPad, cells);
    this.current = L;
    const buffer = this.scratch(0, L.end);
    const padded = new Float32Array(qPad * dim);
    padded.set(query.data.subarray(0, qRows * dim));
    const q = shortRows(padded, qPad, dim);
    new Int16Array(buffer, L.q16At, qPad * dim).set(q.data);
    new Uint8Array(buffer, L.zeroAt, qPad).fill(0);
    const scale = shortTable(this.index.centroids, k, dim).unit * q.unit;
    const ranges = this.splits(k, 2);
    const parts = ranges.map(([from, to], p): KernelCall[] => {
      const P = L.part(p);
      resetBestCells(buffer, P.idsAt, P.topAt, P.floorAt, qPad, qRows, cells);
      const n = to - from;
      const scores = L.scoresAt + from * qPad * 4;
      return [
        ['dot_scores_i16', [this.at.i16At + from * dim * 2, n, L.q16At, qPad, dim, scores, scale]],
        [
          'centroid_pass',
          [
            scores,
            n,
            qPad,
            qRows,
            cells,
            P.idsAt,
            P.topAt,
            P.floorAt,
            threshold,
            L.maxAt + from * 4,
            L.allowedAt + from,
          ],
        ],
        ['quantize_scores', [scores, n * qPad, L.coarseAt + from * qPad]],
      ];
    });
    await this.run(parts);
    // Each query row's best cells over the parts: the best first, ties to the lower centroid (the earlier part).
    const after = this.memory.buffer;
    const lists = ranges.map(([from], p) => ({
      from,
      ids: new Int32Array(after, L.part(p).idsAt, qRows * cells),
      top: new Float32Array(after, L.part(p).topAt, qRows * cells),
    }));
    const cellIds = new Int32Array(qRows * cells).fill(-1);
    const next = new Int32Array(lists.length);
    for (let r = 0; r < qRows; r++) {
      next.fill(0);
      for (let j = 0; j < cells; j++) {
        let pick = -1;
        for (let p = 0; p < lists.length; p++) {
          const i = next[p]!;
          if (i >= cells || lists[p]!.ids[r * cells + i]! < 0) continue;
          if (pick < 0 || lists[p]!.top[r * cells + i]! > lists[pick]!.top[r * cells + next[pick]!]!) pick = p;
        }
        if (pick < 0) break;
        cellIds[r * cells + j] = lists[pick]!.ids[r * cells + next[pick]!]! + lists[pick]!.from;
        next[pick]!++;
      }
    }
    return { qPad, cellIds, cells };
  }

  /** Stage 2 (`coarse`: the byte scores, pruned centroids read as zeros) or 3 (float scores, every centroid), the documents in parts. */
  async interaction(qPad: number, docs: Uint32Array, coarse: boolean): Promise<Float32Array> {
    const L = this.current!;
    new Uint32Array(this.memory.buffer, L.docsAt, docs.length).set(docs);
    const { listsAt, offsetsAt } = this.at;
    const parts = this.splits(docs.length).map(([from, to], p): KernelCall[] => {
      const d = L.docsAt + from * 4;
      const out = L.outAt + from * 4;
      const best = L.part(p).bestAt;
      return coarse
        ? [
            [
              'coarse_interaction',
              [L.coarseAt, qPad, listsAt, offsetsAt, d, to - from, L.allowedAt, L.zeroAt, best, out],
            ],
          ]
        : [['centroid_interaction', [L.scoresAt, qPad, listsAt, offsetsAt, d, to - from, 0, best, out]]];
    });
    await this.run(parts);
    return new Float32Array(this.memory.buffer.slice(L.outAt, L.outAt + docs.length * 4));
  }

  /** Stage 4: the documents' rows decoded and scored by MaxSim against the query, the documents in parts of about equal rows. */
  async decoded(query: RowMatrix, qPad: number, docs: Uint32Array): Promise<Float32Array> {
    const L = this.current!;
    const { dim, codec, docOffsets } = this.index;
    const rb = residualBytes(dim, codec.nbits);
    let rows = 0;
    for (const d of docs) rows += docOffsets[d + 1]! - docOffsets[d]!;
    const endsAt = L.end;
    const codesAt = align(endsAt + docs.length * 4);
    const resAt = align(codesAt + rows * 4);
    const buffer = this.scratch(0, resAt + rows * rb);
    writeBlockedQuery(buffer, L.qTAt, query, qPad);
    const codes = new Uint32Array(buffer, codesAt, rows);
    const residuals = new Uint8Array(buffer, resAt, rows * rb);
    const ends = new Uint32Array(buffer, endsAt, docs.length);
    // Parts split where the rows before reach each part's share; ends count from each part's first row.
    const parts: KernelCall[][] = [];
    const share = rows / Math.min(this.threads, docs.length || 1);
    let at = 0;
    let partStart = 0;
    let partRow = 0;
    docs.forEach((d, j) => {
      const from = docOffsets[d]!;
      const to = docOffsets[d + 1]!;
      codes.set(this.index.codes.subarray(from, to), at);
      residuals.set(this.index.residuals.subarray(from * rb, to * rb), at * rb);
      at += to - from;
      ends[j] = at - partRow;
      const last = j === docs.length - 1;
      if (last || (at >= share * (parts.length + 1) && parts.length < this.threads - 1)) {
        const P = L.part(parts.length);
        parts.push([
          [
            'decode_maxsim',
            [
              L.qTAt,
              qPad,
              dim,
              this.at.f32At,
              this.at.lutAt,
              codec.nbits,
              codesAt + partRow * 4,
              resAt + partRow * rb,
              rb,
              endsAt + partStart * 4,
              j + 1 - partStart,
              P.decodeAt,
              P.bestAt,
              L.outAt + partStart * 4,
            ],
          ],
        ]);
        partStart = j + 1;
        partRow = at;
      }
    });
    if (parts.length) await this.run(parts);
    return new Float32Array(this.memory.buffer.slice(L.outAt, L.outAt + docs.length * 4));
  }
}

// A collected index's memory: the workers drop their instance over it.
const dropWhenCollected = new FinalizationRegistry<number>((key) => pool.drop(key));

const memories = new WeakMap<PlaidIndex, SearchMemory>();

/**
 * The index's search memory where its search runs on more than one thread (the kernels in
 * WebAssembly SIMD, shared memory, a dimension a multiple of 8, and the pool granting two threads
 * or more; `threads` defaults to the cores); undefined where the one-thread search runs instead.
 */
export function searchMemory(index: PlaidIndex, threads = cores()): SearchMemory | undefined {
  const granted = pool.size(threads);
  if (granted < 2 || index.dim % 8 !== 0) return undefined;
  let m = memories.get(index);
  if (!m || m.threads !== granted) {
    try {
      m = new SearchMemory(index, granted);
    } catch {
      // No shared WebAssembly memory or SIMD here: the one-thread search.
      return undefined;
    }
    memories.set(index, m);
  }
  return m;
}
