import { TesseraError, isTesseraError } from '../errors.js';
import type { NearestCentroids } from '../plaid/kmeans.js';
import type { Tessera } from '../tessera.js';
import { type CodecOptions, checkKeepsCodes, compressDocuments, openCodec, writeCodec } from './compressed-rows.js';
import { openManifest } from './manifest.js';
import { type Encoded, encodeInPassages, type PassageSetting, passagePlanner } from './passage-plan.js';
import type { Store, StoreRecord } from './types.js';

export type { CodecOptions };

/** One document to index. */
export interface IndexDocument {
  id: string;
  text: string;
  metadata?: Record<string, unknown>;
  /** Its position in the source (a line number); default: its position in the iterable. */
  seq?: number;
}

export interface IndexOptions {
  /** Names the input (a file path); resuming compares positions within one source. Default 'api'. */
  source?: string;
  /** Store each document's text beside its vectors (search results then show it). */
  keepText?: boolean;
  /**
   * Documents encoded together (length-sorted inside) and committed as one write. A crash loses at
   * most the window in flight; memory holds two windows of vectors.
   */
  windowSize?: number;
  onProgress?: (p: IndexProgress) => void;
  /**
   * Texts longer than a document of the model holds are split into passages of `passageTokens`
   * (default: all the model's document length leaves for text) overlapping by `overlap` tokens
   * (default an eighth), ending at paragraph or sentence breaks where one is near. The passages
   * are stored as one document (rows one after another, spans in `passages`) whose score is its
   * best passage's. `false`: every text encoded whole, cut at the document length.
   */
  passages?: PassageSetting;
  /** Stops reading; the window being encoded is still written, then index() returns. */
  signal?: AbortSignal;
  /**
   * false: a compressed-only index, for corpora whose float rows would not fit the disk. The
   * first documents train the codec (centroids and residual buckets, stored before any
   * document), then every document is written as codes against it (StoreRecord.codes) and
   * searches score decompressed rows. Set when the index is made; later runs follow it.
   */
  vectors?: boolean;
  /** How a compressed-only index's codec is trained (used once, when it is made). */
  codec?: CodecOptions;
  /** Assigns rows to centroids (t.index() passes the engine's GEMM where the backend has one). */
  nearest?: NearestCentroids;
}

export interface IndexProgress {
  /** Documents read from the input. */
  read: number;
  /** Read but already in the index from an earlier run (not encoded again). */
  alreadyIndexed: number;
  /** Encoded in this run. */
  encoded: number;
  /** Committed to the store in this run. */
  written: number;
  /** Extra occurrences of an id in the input: the last one wins. */
  duplicates: number;
  /** Documents that replaced one indexed from another source. */
  replaced: number;
  /** Tokens encoded in this run. */
  tokens: number;
  /** Passages encoded in this run (a document that fits is one). */
  passages: number;
  /** Documents of this run that were split into several passages. */
  split: number;
  /** Passages (or, with passages: false, documents) still cut at the model's document length. */
  cut: number;
  elapsedMs: number;
}

export interface IndexSummary extends IndexProgress {
  /** Documents in the index now. */
  total: number;
  /** Up to ten ids that occurred more than once. */
  duplicateIds: string[];
  /** The run stopped early (signal); rerunning continues it. */
  stopped: boolean;
}

interface Pending {
  id: string;
  text: string;
  metadata: Record<string, unknown> | undefined;
  seq: number;
  /** An earlier version of the id is (or will be) in the store: upsert, not add. */
  replace: boolean;
}

// Source and position packed in one number (a Map of small tuples would cost far more memory
// for a million ids): source index x 2^32 + seq.
const SEQ_SPAN = 2 ** 32;

/**
 * Encodes documents into a store, resumably. Windows of documents are encoded with the
 * length-sorted planner and committed one write at a time (atomic: all rows or none), the next
 * window encoding while the last is written. Rerun on the same input after a crash or Ctrl-C, it
 * skips what is stored (same id, source and position) and continues; an id that occurs again
 * later in the input replaces the earlier one (the last wins, counted).
 */
export async function indexDocuments(
  t: Tessera,
  store: Store,
  docs: Iterable<IndexDocument> | AsyncIterable<IndexDocument>,
  options: IndexOptions = {},
): Promise<IndexSummary> {
  const started = Date.now();
  // Checked before the manifest makes the store compressed-only.
  if (options.vectors === false) checkKeepsCodes(store);
  const manifest = await openManifest(t, store, options.vectors);
  const compressedOnly = manifest.vectors === false;
  const codec = compressedOnly
    ? await openCodec(store, options.codec).catch((e) => {
        throw storeError(store, 'reading the codec', e);
      })
    : undefined;
  // A new compressed-only index's first windows, waiting for the codec they train.
  let waiting: { batch: Pending[]; encoded: Encoded[] }[] = [];
  const source = options.source ?? 'api';
  const split = await passagePlanner(t, options.passages);
  const windowSize = options.windowSize ?? 512;
  if (!Number.isInteger(windowSize) || windowSize < 1)
    throw new TesseraError('INVALID_OPTION', `windowSize must be a positive integer (got ${windowSize})`, {
      field: 'windowSize',
    });

  const sources = new Map<string, number>();
  const sourceIndex = (s: string) => {
    let i = sources.get(s);
    if (i === undefined) sources.set(s, (i = sources.size));
    return i;
  };
  const mine = sourceIndex(source);
  const held = new Map<string, number>();
  try {
    for await (const e of store.entries()) held.set(e.id, sourceIndex(e.source) * SEQ_SPAN + e.seq);
  } catch (e) {
    throw storeError(store, 'reading the index', e);
  }

  const p: IndexProgress = {
    read: 0,
    alreadyIndexed: 0,
    encoded: 0,
    written: 0,
    duplicates: 0,
    replaced: 0,
    tokens: 0,
    passages: 0,
    split: 0,
    cut: 0,
    elapsedMs: 0,
  };
  const duplicateIds: string[] = [];
  const report = () => options.onProgress?.({ ...p, elapsedMs: Date.now() - started });
  const duplicate = (id: string) => {
    p.duplicates++;
    if (duplicateIds.length < 10 && !duplicateIds.includes(id)) duplicateIds.push(id);
  };

  let window: Pending[] = [];
  const inWindow = new Map<string, number>();
  let writing: Promise<void> = Promise.resolve();
  let writeFailed: unknown;

  const write = async (batch: Pending[], encoded: Encoded[]) => {
    const codes = codec
      ? await compressDocuments(
          batch.map((d, i) => ({ id: d.id, vectors: encoded[i]!.vectors })),
          codec.trained!,
          options.nearest,
        )
      : undefined;
    const records = batch.map(
      (d, i): StoreRecord => ({
        id: d.id,
        vectors: codes ? { rows: 0, dim: encoded[i]!.vectors.dim, data: new Float32Array(0) } : encoded[i]!.vectors,
        ...(codes ? { codes: codes[i]! } : {}),
        source,
        seq: d.seq,
        ...(options.keepText ? { text: d.text } : {}),
        ...(d.metadata ? { metadata: d.metadata } : {}),
        ...(encoded[i]!.passages ? { passages: encoded[i]!.passages } : {}),
      }),
    );
    const fresh = records.filter((_, i) => !batch[i]!.replace);
    const again = records.filter((_, i) => batch[i]!.replace);
    try {
      if (fresh.length) await store.add(fresh);
      if (again.length) await store.upsert(again);
    } catch (e) {
      throw storeError(store, `writing ${records.length} documents`, e);
    }
    p.written += records.length;
    report();
  };

  const flush = async () => {
    if (!window.length) return;
    const batch = window;
    window = [];
    inWindow.clear();
    const base = p.encoded;
    const {
      encoded,
      tokens,
      passages,
      split: splitDocs,
      cut,
    } = await encodeInPassages(
      t,
      batch.map((d) => d.text),
      split,
      (done) => {
        p.encoded = base + done;
        report();
      },
    );
    p.encoded = base + batch.length;
    p.tokens += tokens;
    p.passages += passages;
    p.split += splitDocs;
    p.cut += cut;
    // Windows land in input order, so a later duplicate overwrites an earlier one.
    await writing;
    if (codec && !codec.ready) {
      // A new compressed-only index: its first windows wait for the codec they train.
      waiting.push({ batch, encoded });
      codec.add(encoded);
      if (codec.sampled()) await writeHeld();
      return;
    }
    writing = write(batch, encoded).catch((e) => {
      writeFailed = e;
    });
  };

  const writeHeld = async () => {
    try {
      await writeCodec(store, await codec!.train(options.nearest));
    } catch (e) {
      throw storeError(store, 'training the codec', e);
    }
    const windows = waiting;
    waiting = [];
    for (const w of windows) await write(w.batch, w.encoded);
  };

  let position = 0;
  async function readAll() {
    for await (const d of docs) {
      if (writeFailed) break;
      const seq = d?.seq ?? position;
      position++;
      checkDocument(d, seq);
      p.read++;
      const prev = held.get(d.id);
      const at = inWindow.get(d.id);
      if (at !== undefined) {
        // A repeat inside the window: the later text takes the earlier one's place.
        duplicate(d.id);
        window[at] = { ...window[at]!, text: d.text, metadata: d.metadata, seq };
        held.set(d.id, mine * SEQ_SPAN + seq);
        continue;
      }
      let replace = false;
      if (prev !== undefined) {
        const prevSource = Math.floor(prev / SEQ_SPAN);
        const prevSeq = prev % SEQ_SPAN;
        if (prevSource === mine && prevSeq === seq) {
          p.alreadyIndexed++;
          if (p.alreadyIndexed % 1000 === 0) report();
          continue;
        }
        if (prevSource === mine && prevSeq > seq) {
          // Resumed past a later occurrence of this id, which already won.
          duplicate(d.id);
          continue;
        }
        if (prevSource === mine) duplicate(d.id);
        else p.replaced++;
        replace = true;
      }
      held.set(d.id, mine * SEQ_SPAN + seq);
      inWindow.set(d.id, window.length);
      window.push({ id: d.id, text: d.text, metadata: d.metadata, seq, replace });
      if (window.length >= windowSize) await flush();
      if (options.signal?.aborted) break;
    }
  }
  try {
    await readAll();
  } catch (e) {
    // The write in flight still lands (or fails) before the error goes up: nothing is left half done.
    await writing;
    throw e;
  }
  const stopped = !!options.signal?.aborted;
  if (!stopped && !writeFailed) await flush();
  await writing;
  if (writeFailed) throw writeFailed;
  // The input ended before the sample filled: it trains on what there is. (A stopped run writes
  // none of it: the rerun encodes it again.)
  if (!stopped && codec && !codec.ready && waiting.length) await writeHeld();
  if (!stopped && p.written > 0 && store.optimize) {
    try {
      await store.optimize();
    } catch (e) {
      throw storeError(store, 'compacting the index', e);
    }
  }
  let total: number;
  try {
    total = await store.count();
  } catch (e) {
    throw storeError(store, 'counting the index', e);
  }
  report();
  return { ...p, elapsedMs: Date.now() - started, total, duplicateIds, stopped };
}

function checkDocument(d: IndexDocument, seq: number): void {
  const where = `document ${seq}`;
  if (!d || typeof d !== 'object')
    throw new TesseraError('INVALID_INPUT', `${where}: expected { id, text }, got ${d === null ? 'null' : typeof d}`, {
      seq,
    });
  if (typeof d.id !== 'string' || !d.id)
    throw new TesseraError(
      'INVALID_INPUT',
      `${where}: id must be a non-empty string (got ${JSON.stringify(d.id) ?? 'undefined'})`,
      { seq },
    );
  if (typeof d.text !== 'string')
    throw new TesseraError(
      'INVALID_INPUT',
      `${where} (id ${JSON.stringify(d.id)}): text must be a string (got ${d.text === null ? 'null' : typeof d.text})`,
      { seq, id: d.id },
    );
  if (!Number.isInteger(seq) || seq < 0 || seq >= SEQ_SPAN)
    throw new TesseraError(
      'INVALID_INPUT',
      `${where} (id ${JSON.stringify(d.id)}): seq must be an integer from 0 to 2^32 - 1`,
      { seq, id: d.id },
    );
}

/** A store's failure, named with the store and what was being done (disk full, permissions...). */
export function storeError(store: Store, doing: string, e: unknown): TesseraError {
  if (isTesseraError(e)) return e;
  const err = e as NodeJS.ErrnoException;
  const text = String(err?.message ?? e);
  // Node's errors carry a code; a native store's (LanceDB's Rust) only the OS message.
  const why =
    err?.code === 'ENOSPC' || /No space left on device|os error 28/.test(text)
      ? 'the disk is full'
      : err?.code === 'EACCES' ||
          err?.code === 'EPERM' ||
          /Permission denied|os error 13|Operation not permitted|os error 1\b/.test(text)
        ? 'permission denied'
        : err?.code === 'EROFS' || /Read-only file system|os error 30/.test(text)
          ? 'the file system is read-only'
          : text.split('\n')[0];
  return new TesseraError(
    'STORE_FAILED',
    `${store.location}: ${doing} failed: ${why}. Every write is all-or-nothing: rerun to continue from the last one that landed`,
    { location: store.location },
    { cause: e },
  );
}
