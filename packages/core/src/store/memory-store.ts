import { TesseraError } from '../errors.js';
import { topK, type RowMatrix } from '../scoring/maxsim.js';
import { bestPassageScores, passagesFit } from '../scoring/passages.js';
import type {
  IndexManifest,
  Store,
  StoredEntry,
  StoreHit,
  StoreRecord,
  StoreArtifacts,
  StoreSearchOptions,
  UpsertOptions,
} from './types.js';

/**
 * The reference store: everything in memory, search by exact MaxSim over every document. For
 * tests, small corpora, and as the worked example of the Store interface (docs/writing-a-store.md).
 */
export class MemoryStore implements Store {
  readonly location = 'memory';
  readonly keepsCodes = true;
  private manifest: IndexManifest | undefined;
  private readonly rows = new Map<string, StoreRecord>();
  private closed = false;
  // A true private field: a subclass's own counters cannot collide with it.
  #generation = 0;
  private readonly sets = new Map<string, Map<string, Uint8Array>>();
  readonly artifacts: StoreArtifacts = {
    read: async (set, file) => {
      this.live();
      return this.sets.get(set)?.get(file)?.slice();
    },
    write: async (set, files) => {
      this.live();
      this.sets.set(set, new Map(Object.entries(files).map(([n, b]) => [n, b.slice()])));
    },
    remove: async (set) => {
      this.live();
      this.sets.delete(set);
    },
  };

  private live(): void {
    if (this.closed) throw new TesseraError('DISPOSED', 'the memory store was closed', {});
  }

  async readManifest(): Promise<IndexManifest | undefined> {
    this.live();
    return this.manifest && { ...this.manifest };
  }

  async writeManifest(manifest: IndexManifest): Promise<void> {
    this.live();
    this.manifest = { ...manifest };
  }

  async add(records: readonly StoreRecord[]): Promise<void> {
    this.live();
    // Checked before anything is stored: a bad record fails the whole write.
    records.forEach((r, i) => checkRecord(r, i, this.manifest?.dimension));
    for (const r of records) this.rows.set(r.id, copy(r));
    if (records.length) this.#generation++;
  }

  async upsert(records: readonly StoreRecord[], options: UpsertOptions = {}): Promise<{ replaced: number }> {
    this.live();
    records.forEach((r, i) => checkRecord(r, i, this.manifest?.dimension));
    let replaced = 0;
    for (const r of records) {
      const old = this.rows.get(r.id);
      if (old && options.keepLater && old.source === r.source && old.seq > r.seq) continue;
      if (old) replaced++;
      this.rows.set(r.id, copy(r));
    }
    if (records.length) this.#generation++;
    return { replaced };
  }

  async *entries(): AsyncIterable<StoredEntry> {
    this.live();
    for (const r of [...this.rows.values()]) yield { id: r.id, source: r.source, seq: r.seq };
  }

  async count(): Promise<number> {
    this.live();
    return this.rows.size;
  }

  async search(query: RowMatrix, options: StoreSearchOptions): Promise<StoreHit[]> {
    this.live();
    if (options.where !== undefined)
      throw new TesseraError(
        'INVALID_OPTION',
        'MemoryStore cannot filter (`where`): use a store that does, such as @tessera/store-lancedb',
        {
          field: 'where',
        },
      );
    const docs = [...this.rows.values()];
    if (!docs.length) return [];
    const { scores } = bestPassageScores(query, docs);
    return topK(scores, Math.min(options.limit, docs.length)).map(({ index, score }) => ({
      ...hitOf(docs[index]!),
      score,
    }));
  }

  async *documents(): AsyncIterable<{ id: string; vectors: RowMatrix; codes?: Uint8Array }> {
    this.live();
    for (const r of [...this.rows.values()])
      yield { id: r.id, vectors: r.vectors, ...(r.codes ? { codes: r.codes } : {}) };
  }

  async fetch(ids: readonly string[]): Promise<StoreHit[]> {
    this.live();
    return ids.flatMap((id) => {
      const d = this.rows.get(id);
      return d ? [hitOf(d)] : [];
    });
  }

  async version(): Promise<string> {
    this.live();
    return String(this.#generation);
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

/** The checks every store makes before it writes: a record it cannot hold names itself. */
export function checkRecord(r: StoreRecord, i: number, dimension: number | undefined): void {
  const where = `record ${i}${typeof r?.id === 'string' ? ` (id ${JSON.stringify(r.id)})` : ''}`;
  if (typeof r?.id !== 'string' || !r.id)
    throw new TesseraError('INVALID_INPUT', `${where}: id must be a non-empty string`, { index: i });
  const v = r.vectors;
  if (r.codes !== undefined && (!(r.codes instanceof Uint8Array) || r.codes.length === 0))
    throw new TesseraError('INVALID_INPUT', `${where}: codes must be a non-empty Uint8Array`, { index: i, id: r.id });
  // A compressed-only record keeps its rows in codes.
  const least = r.codes ? 0 : 1;
  if (
    !v ||
    !(v.data instanceof Float32Array) ||
    !Number.isInteger(v.rows) ||
    v.rows < least ||
    !Number.isInteger(v.dim) ||
    v.data.length < v.rows * v.dim
  )
    throw new TesseraError(
      'INVALID_INPUT',
      `${where}: vectors must be at least one row of Float32 values (rows x dim)`,
      { index: i, id: r.id },
    );
  if (dimension !== undefined && v.dim !== dimension)
    throw new TesseraError(
      'DIMENSION_MISMATCH',
      `${where}: rows of ${v.dim} values, but the index holds rows of ${dimension}`,
      { index: i, id: r.id },
    );
  if (typeof r.source !== 'string' || !Number.isInteger(r.seq) || r.seq < 0)
    throw new TesseraError('INVALID_INPUT', `${where}: source must be a string and seq a non-negative integer`, {
      index: i,
      id: r.id,
    });
  if (r.passages !== undefined && (!Array.isArray(r.passages) || (v.rows > 0 && !passagesFit(r.passages, v.rows))))
    throw new TesseraError(
      'INVALID_INPUT',
      `${where}: passages must be { start, end, rows } spans whose rows add up to the ${v.rows} rows of vectors`,
      { index: i, id: r.id },
    );
}

function hitOf(d: StoreRecord): StoreHit {
  return {
    id: d.id,
    score: 0,
    vectors: d.vectors,
    ...(d.text !== undefined ? { text: d.text } : {}),
    ...(d.metadata ? { metadata: d.metadata } : {}),
    ...(d.passages ? { passages: d.passages } : {}),
    ...(d.codes ? { codes: d.codes } : {}),
  };
}

function copy(r: StoreRecord): StoreRecord {
  const { rows, dim } = r.vectors;
  return {
    ...r,
    vectors: { rows, dim, data: r.vectors.data.slice(0, rows * dim) },
    ...(r.metadata ? { metadata: structuredClone(r.metadata) } : {}),
    ...(r.passages ? { passages: r.passages.map((p) => ({ ...p })) } : {}),
    ...(r.codes ? { codes: r.codes.slice() } : {}),
  };
}
