import { createHash } from 'node:crypto';
import type { IdRule, PassageSetting } from '@tessera/core';

/** The queue every run shares; a run's jobs are `<run key>-<shard>`. */
export const QUEUE_NAME = 'tessera-index';

/** What a worker needs for one shard: where the text is, where the vectors go, which model. */
export interface ShardJob {
  run: string;
  shard: number;
  input: string;
  start: number;
  end: number;
  firstLine: number;
  /** Earlier lines of ids that occur again later in the input: skipped (the last wins). */
  skipLines: number[];
  ids: IdRule;
  textField: string;
  to: string;
  /** The store package that opens `to` (see store.ts); LanceDB when absent. */
  store?: string;
  model: string;
  dimension: number;
  fingerprint: string;
  keepText: boolean;
  skipInvalid: boolean;
  /** How long texts are split (see IndexOptions.passages); absent: the default split. */
  passages?: PassageSetting;
}

export interface ShardResult {
  written: number;
  tokens: number;
  /** Passages encoded, documents split into several, passages still cut at the document length. */
  passages?: number;
  split?: number;
  cut?: number;
  skippedLines: number;
  encodeMs: number;
  writeMs: number;
  device: string;
  worker: string;
}

/** The Redis hash a run's progress is counted in (BullMQ's job states stay the truth). */
export const runKeyName = (run: string) => `tessera:run:${run}`;

/** The same input, index, model and options give the same key: rerunning enqueues nothing new. */
export function runKey(parts: {
  input: string;
  size: number;
  mtimeMs: number;
  to: string;
  fingerprint: string;
  dimension: number;
  shardSize: number;
  textField: string;
  ids: IdRule;
  keepText: boolean;
  skipInvalid: boolean;
  store?: string;
  passages?: PassageSetting;
}): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 16);
}
