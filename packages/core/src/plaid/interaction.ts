import { instantiateKernel, type WasmMemory } from '../scoring/wasm-kernel.js';
import { PLAID_WASM } from './plaid-wasm.js';
import type { PlaidIndex } from './plaid-index.js';

/** Query rows rounded up to 16: score tables are laid out [k, paddedRows(q)], as floats and as bytes. */
export const paddedRows = (rows: number) => Math.ceil(rows / 16) * 16;

interface Lists {
  offsets: Uint32Array;
  codes: Uint32Array;
}

/** Each document's distinct centroids (the inverted lists read the other way), made once per loaded index. */
const distinct = new WeakMap<PlaidIndex, Lists>();

export function documentCentroids(index: PlaidIndex): Lists {
  let lists = distinct.get(index);
  if (!lists) {
    const docs = index.ids.length;
    const offsets = new Uint32Array(docs + 1);
    for (let i = 0; i < index.ivfDocs.length; i++) offsets[index.ivfDocs[i]! + 1]!++;
    for (let d = 0; d < docs; d++) offsets[d + 1]! += offsets[d]!;
    const codes = new Uint32Array(index.ivfDocs.length);
    const fill = offsets.slice(0, docs);
    for (let c = 0; c < index.k; c++)
      for (let i = index.ivfOffsets[c]!; i < index.ivfOffsets[c + 1]!; i++) codes[fill[index.ivfDocs[i]!]!++] = c;
    lists = { offsets, codes };
    distinct.set(index, lists);
  }
  return lists;
}

interface Kernel {
  memory: WasmMemory;
  centroid_interaction: (...args: number[]) => void;
  quantize_scores: (scores: number, n: number, out: number) => void;
  coarse_interaction: (...args: number[]) => void;
}

// Its own instance (and memory) of the kernel module: the lists and a search's score tables stay
// resident between calls while dot_scores uses the other instance's memory as it likes.
let kernel: Kernel | null | undefined;
let resident: Lists | undefined;
let residentScores: Float32Array | undefined;
let residentCoarse: Float32Array | undefined;

const align = (n: number) => Math.ceil(n / 16) * 16;
const view = (a: Uint32Array | Float32Array | Uint8Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/**
 * The kernel with the index's lists and this search's scores in its memory (each copied once),
 * and where the rest of a call's arrays go. Layout: lists | offsets | scoresT | coarse | zero row |
 * docs | allowed | best | out, 16-byte aligned.
 */
function prepare(index: PlaidIndex, scoresT: Float32Array, qPad: number, docs: Uint32Array, allowed?: Uint8Array) {
  const lists = documentCentroids(index);
  if (kernel === undefined) kernel = instantiateKernel<Kernel>(PLAID_WASM);
  if (!kernel) return undefined;
  const k = kernel;
  const listsAt = 0;
  const offsetsAt = align(lists.codes.byteLength);
  const scoresAt = align(offsetsAt + lists.offsets.byteLength);
  const coarseAt = align(scoresAt + scoresT.byteLength);
  const zeroAt = align(coarseAt + scoresT.length);
  const docsAt = align(zeroAt + qPad);
  const allowedAt = align(docsAt + docs.byteLength);
  const bestAt = align(allowedAt + (allowed?.byteLength ?? 0));
  const outAt = align(bestAt + qPad * 4);
  const need = outAt + docs.length * 4;
  if (k.memory.buffer.byteLength < need) k.memory.grow(Math.ceil((need - k.memory.buffer.byteLength) / 65536));
  const bytes = new Uint8Array(k.memory.buffer);
  if (resident !== lists) {
    bytes.set(view(lists.codes), listsAt);
    bytes.set(view(lists.offsets), offsetsAt);
    resident = lists;
    residentScores = undefined;
  }
  if (residentScores !== scoresT) {
    bytes.set(view(scoresT), scoresAt);
    residentScores = scoresT;
    residentCoarse = undefined;
  }
  bytes.set(view(docs), docsAt);
  if (allowed) bytes.set(allowed, allowedAt);
  return { k, listsAt, offsetsAt, scoresAt, coarseAt, zeroAt, docsAt, allowedAt, bestAt, outAt };
}

/**
 * Centroid interaction: each listed document's score with every row replaced by its centroid,
 * the best centroid score per query row summed. `allowed` skips pruned centroids (PLAID's stage
 * 2). A centroid counts once per document however many of its rows share it, so the loop runs
 * over each document's distinct centroids; in the SIMD kernel where it runs, else in plain loops.
 */
export function centroidInteraction(
  index: PlaidIndex,
  scoresT: Float32Array,
  qPad: number,
  docs: Uint32Array,
  allowed: Uint8Array | undefined,
): Float32Array {
  const at = prepare(index, scoresT, qPad, docs, allowed);
  if (!at) return interactionJs(documentCentroids(index), scoresT, qPad, docs, allowed);
  const { k } = at;
  k.centroid_interaction(
    at.scoresAt,
    qPad,
    at.listsAt,
    at.offsetsAt,
    at.docsAt,
    docs.length,
    allowed ? at.allowedAt : 0,
    at.bestAt,
    at.outAt,
  );
  return new Float32Array(k.memory.buffer.slice(at.outAt, at.outAt + docs.length * 4));
}

/**
 * PLAID's pruned stage 2 over a coarse copy of the scores: one byte a score (steps of 1/127 over
 * [-1, 1]) and a pruned centroid reading a row of zeros instead of a branch. Ranking thousands of
 * candidates is bound by fetching each of their centroids' score rows; bytes make the table a
 * quarter of the size. The kept candidates are ranked again with float scores (stage 3).
 */
export function coarseInteraction(
  index: PlaidIndex,
  scoresT: Float32Array,
  qPad: number,
  docs: Uint32Array,
  allowed: Uint8Array,
): Float32Array {
  const at = prepare(index, scoresT, qPad, docs, allowed);
  if (!at) return interactionJs(documentCentroids(index), scoresT, qPad, docs, allowed);
  const { k } = at;
  if (residentCoarse !== scoresT) {
    k.quantize_scores(at.scoresAt, scoresT.length, at.coarseAt);
    new Uint8Array(k.memory.buffer, at.zeroAt, qPad).fill(0);
    residentCoarse = scoresT;
  }
  k.coarse_interaction(
    at.coarseAt,
    qPad,
    at.listsAt,
    at.offsetsAt,
    at.docsAt,
    docs.length,
    at.allowedAt,
    at.zeroAt,
    at.bestAt,
    at.outAt,
  );
  return new Float32Array(k.memory.buffer.slice(at.outAt, at.outAt + docs.length * 4));
}

export function interactionJs(
  lists: Lists,
  scoresT: Float32Array,
  qPad: number,
  docs: Uint32Array,
  allowed: Uint8Array | undefined,
): Float32Array {
  const out = new Float32Array(docs.length);
  const best = new Float32Array(qPad);
  for (let j = 0; j < docs.length; j++) {
    const d = docs[j]!;
    best.fill(-Infinity);
    for (let r = lists.offsets[d]!; r < lists.offsets[d + 1]!; r++) {
      const c = lists.codes[r]!;
      if (allowed && !allowed[c]) continue;
      const o = c * qPad;
      for (let q = 0; q < qPad; q++) if (scoresT[o + q]! > best[q]!) best[q] = scoresT[o + q]!;
    }
    let s = 0;
    for (let q = 0; q < qPad; q++) if (best[q]! > -Infinity) s += best[q]!;
    out[j] = s;
  }
  return out;
}
