import type { PaddedBatch } from '../backend/types.js';
import type { TokenizedText } from '../tokenizer/types.js';

export interface PlannedItem extends TokenizedText {
  /** Position in the caller's input. */
  index: number;
}

export interface BatchLimits {
  /** Most texts in one forward pass. */
  maxBatchSize: number;
  /** Most padded tokens (batch size x longest) in one forward pass; a single longer text still runs alone. */
  maxTokens: number;
  /** Sort by length so that texts of like length share a batch (false: input order, for comparison). */
  sortByLength: boolean;
  /**
   * Start a new batch rather than let padding pass this share of the batch's positions. For small
   * pools of mixed lengths (a server's queue), where sorting alone still pairs long with short.
   */
  maxPaddingShare?: number;
}

/** Cuts items into batches: longest first, each batch within the token budget and size limit. */
export function planBatches(items: readonly PlannedItem[], limits: BatchLimits): PlannedItem[][] {
  const order = [...items];
  if (limits.sortByLength) order.sort((a, b) => b.ids.length - a.ids.length || a.index - b.index);
  const batches: PlannedItem[][] = [];
  let cur: PlannedItem[] = [];
  let longest = 0;
  let real = 0;
  const maxPad = limits.maxPaddingShare ?? 1;
  for (const item of order) {
    const n = item.ids.length;
    const len = Math.max(longest, n);
    const padded = (cur.length + 1) * len;
    if (
      cur.length &&
      (cur.length >= limits.maxBatchSize || padded > limits.maxTokens || 1 - (real + n) / padded > maxPad)
    ) {
      batches.push(cur);
      cur = [];
      longest = 0;
      real = 0;
    }
    cur.push(item);
    longest = Math.max(longest, n);
    real += n;
  }
  if (cur.length) batches.push(cur);
  return batches;
}

/** Right-pads a batch with padId (attention 0 on padding, token types 0). */
export function padBatch(items: readonly PlannedItem[], padId: number): PaddedBatch {
  const seqLen = items.reduce((m, it) => Math.max(m, it.ids.length), 0);
  const n = items.length * seqLen;
  const inputIds = new Int32Array(n).fill(padId);
  const attentionMask = new Int32Array(n);
  const tokenTypeIds = new Int32Array(n);
  items.forEach((it, b) => {
    inputIds.set(it.ids, b * seqLen);
    attentionMask.set(it.attention, b * seqLen);
  });
  return { batchSize: items.length, seqLen, inputIds, attentionMask, tokenTypeIds };
}

/** Share of computed positions that are padding. */
export function paddingShare(batches: readonly PlannedItem[][]): number {
  let real = 0;
  let total = 0;
  for (const b of batches) {
    const longest = b.reduce((m, it) => Math.max(m, it.ids.length), 0);
    total += longest * b.length;
    for (const it of b) real += it.ids.length;
  }
  return total ? 1 - real / total : 0;
}
