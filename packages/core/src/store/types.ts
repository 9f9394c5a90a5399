import type { RowMatrix } from '../scoring/maxsim.js';
import type { PassageSpan } from '../scoring/passages.js';

export type { PassageSpan };

/** One document as a store keeps it: its token vectors and where it came from. */
export interface StoreRecord {
  id: string;
  /** rows x dim token vectors (a ColBERT document's rows). */
  vectors: RowMatrix;
  /**
   * The source the document was read from (an input file, or a name the caller gives) and its
   * position there. A resumed run compares them to tell a row it wrote itself from an earlier
   * duplicate of the same id.
   */
  source: string;
  seq: number;
  text?: string;
  metadata?: Record<string, unknown>;
  /**
   * A document split into passages (longer than the model's document length): each passage's
   * text span and row count, in order; `vectors` holds their rows one after another. Scores are
   * the best passage's. Absent for a document encoded whole.
   */
  passages?: PassageSpan[];
  /**
   * In a compressed-only index (IndexManifest.vectors false): the document's rows as centroids
   * and packed residuals against the store's codec (see packRows); `vectors` then has no rows.
   * Kept and returned only by stores with `keepsCodes`.
   */
  codes?: Uint8Array;
}

/** What a store says about a document it holds, for resuming. */
export interface StoredEntry {
  id: string;
  source: string;
  seq: number;
}

export interface StoreHit {
  id: string;
  /** MaxSim (sum over query rows of the best dot product), or the store's estimate of it. */
  score: number;
  text?: string;
  metadata?: Record<string, unknown>;
  /** The document's rows, when the store returns them (core then rescores exactly). */
  vectors?: RowMatrix;
  /** Its passages, as written (see StoreRecord.passages). */
  passages?: PassageSpan[];
  /** Its compressed rows, as written (see StoreRecord.codes). */
  codes?: Uint8Array;
}

export interface UpsertOptions {
  keepLater?: boolean;
}

export interface StoreSearchOptions {
  /** Most hits to return, best first. */
  limit: number;
  /**
   * Only documents this filter selects, in the store's own filter language (LanceDB: SQL on id,
   * text, source and metadata). Given only to stores that have idsWhere(); an expression the
   * store refuses rejects with INVALID_FILTER, naming it.
   */
  where?: string;
}

/** What the index was built with; a run with another model or dimension is refused. */
export interface IndexManifest {
  format: 1;
  /** The model as the user named it (registry id, Hugging Face id, or an absolute folder). */
  model: string;
  /** A hash of the model's configuration and weights (see modelFingerprint). */
  modelFingerprint: string;
  /** Row width of the stored vectors. */
  dimension: number;
  createdAt: string;
  /**
   * false: a compressed-only index (`tessera index --no-vectors`): documents keep their rows as
   * codes against a codec trained on the first documents, not as floats. Absent: float rows.
   */
  vectors?: false;
}

/**
 * Where an index lives: a store package (@tessera/store-lancedb) or the in-memory reference
 * (MemoryStore). A write is atomic (all its records or none) and keyed by id. Core's store
 * conformance suite (runStoreConformanceSuite) checks every method.
 */
export interface Store {
  /** Where it is, for messages (a folder, a URL, "memory"). */
  readonly location: string;
  /** The manifest, or undefined for a new, empty store. */
  readManifest(): Promise<IndexManifest | undefined>;
  writeManifest(manifest: IndexManifest): Promise<void>;
  /** Appends records whose ids the store does not hold (the caller has checked, see entries()). */
  add(records: readonly StoreRecord[]): Promise<void>;
  /**
   * Inserts or replaces by id; returns how many ids it replaced. With `keepLater`, a stored row
   * from the same source at a later position stays (it is the last occurrence of its id): the
   * rule that lets writers of one input commit in any order, as a queue's workers do.
   */
  upsert(records: readonly StoreRecord[], options?: UpsertOptions): Promise<{ replaced: number }>;
  /** Every stored id with its source and position, in any order. */
  entries(): AsyncIterable<StoredEntry>;
  count(): Promise<number>;
  /** The documents with the highest MaxSim against the query's rows, best first. */
  search(query: RowMatrix, options: StoreSearchOptions): Promise<StoreHit[]>;
  /** Leaves the store as it would be after a crash-free exit; calls after close reject. */
  close(): Promise<void>;
  /** Optional: compact storage after a long run of writes. */
  optimize?(): Promise<void>;
  /**
   * Optional, with fetch(), version() and artifacts: what a compressed late-interaction index
   * (t.buildSearchIndex) needs. Every document with its rows, in the same order on every call
   * while nothing is written.
   */
  documents?(): AsyncIterable<{ id: string; vectors: RowMatrix; codes?: Uint8Array }>;
  /** Optional: these documents with their rows, text and metadata (an index's candidates, rescored exactly). */
  fetch?(ids: readonly string[]): Promise<StoreHit[]>;
  /**
   * Optional: the ids of the documents a filter selects (see StoreSearchOptions.where). A store
   * with it filters searches, through the compressed index too.
   */
  idsWhere?(where: string): Promise<string[]>;
  /** Optional: a token that changes with every write, so an index built from an earlier state is known stale. */
  version?(): Promise<string>;
  /**
   * Optional: the store keeps StoreRecord.codes and returns them from fetch() and documents(),
   * and takes records whose vectors have no rows when they carry codes (compressed-only indexes).
   */
  readonly keepsCodes?: boolean;
  /** Optional: named sets of files kept with the documents (the compressed index). */
  readonly artifacts?: StoreArtifacts;
}

/** Named sets of files a store keeps beside its documents. */
export interface StoreArtifacts {
  /** One file of a set, or undefined when the set or the file does not exist. */
  read(set: string, file: string): Promise<Uint8Array | undefined>;
  /** Replaces a set's files all at once: a crash leaves the old set or the new one, never a mix. */
  write(set: string, files: Record<string, Uint8Array>): Promise<void>;
  /** Removes a set (nothing when it does not exist). */
  remove(set: string): Promise<void>;
}
