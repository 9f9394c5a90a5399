import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import * as lancedb from '@lancedb/lancedb';
import {
  TesseraError,
  topK,
  type IndexManifest,
  type RowMatrix,
  type Store,
  type StoredEntry,
  type StoreArtifacts,
  type StoreHit,
  type StoreRecord,
  type StoreSearchOptions,
  type UpsertOptions,
} from '@tessera/core';
import { bestPassageScores, checkRecord, storeError } from '@tessera/core/store';
import { safeJoin } from '@tessera/core/backend';
import {
  cellToPassages,
  cellToRows,
  columnRows,
  hasJsonMetadata,
  passagesField,
  codesField,
  recordsToTable,
  tableSchema,
} from './arrow-rows.js';

/** The manifest file beside LanceDB's tables: written first, so an index without one is not Tessera's. */
export const MANIFEST_FILE = 'tessera-index.json';
const TABLE = 'documents';
/** How long to wait for another process's new table to commit its first version. */
const CREATION_WAIT_MS = 5000;

/**
 * Opens the table, waiting while another process creates it: LanceDB lists a table as soon as
 * its folder exists, and opening fails ("not found") until its first version is committed. Two
 * queue workers starting on a new index met this in CI.
 */
async function openCommitted(db: lancedb.Connection, location: string): Promise<lancedb.Table> {
  const started = Date.now();
  for (let wait = 10; ; wait = Math.min(wait * 2, 500)) {
    try {
      return await db.openTable(TABLE);
    } catch (e) {
      const notYet = /not found/i.test(String((e as Error)?.message ?? e));
      if (!notYet || Date.now() - started > CREATION_WAIT_MS)
        throw new TesseraError(
          'STORE_FAILED',
          `${location}: the "${TABLE}" table is listed but cannot be ` +
            `opened${notYet ? ` after ${CREATION_WAIT_MS / 1000} s (${STOPPED_WRITER})` : ''}: ` +
            `${String((e as Error)?.message ?? e).split('\n')[0]}`,
          { location },
          { cause: e },
        );
      await new Promise((r) => setTimeout(r, wait));
    }
  }
}

export interface AnnIndexOptions {
  /** IVF partitions (default: about sqrt of the token rows, at most 1024). */
  partitions?: number;
  /** PQ sub-vectors (default: dim / 8, LanceDB's rule for 8-bit codes). */
  subVectors?: number;
}

export interface LanceDbSearchTuning {
  /** IVF partitions probed per query row when an approximate index exists (default 50). */
  nprobes?: number;
  /**
   * Candidates rescored with full vectors, as a multiple of the limit (default 200). Recall hangs
   * on it: on 10k documents, 4 found 10% of the exact top 10, 50 found 43%, 200 found 83%.
   */
  refineFactor?: number;
}

/**
 * A Tessera index in an embedded LanceDB folder. Search is exact (a scan scoring every document
 * with core's MaxSim) until createAnnIndex() builds an IVF-PQ index on the vectors, after which
 * it is approximate (bench/README.md measures recall@10 against exact MaxSim). LanceDB's
 * multivector search ranks by cosine, so rows must be unit length (ColBERT models normalize);
 * core rescores hits with their rows.
 */
/** Whether a LanceDB error is a commit that lost a race to another writer's (worth another try). */
const commitConflict = (e: unknown) =>
  /conflict|concurrent|retryable|was modified|commit/i.test(String((e as Error)?.message ?? e));

/** Said when a table that is listed never commits its first version. */
const STOPPED_WRITER = 'a writer that was creating it may have stopped; the folder needs repair or removal';

export class LanceDbStore implements Store {
  readonly location: string;
  private table: lancedb.Table | undefined;
  private jsonMetadata: boolean | undefined;
  private closed = false;
  private dimension: number | undefined;
  /** Known to have the passages column (checked once it does; see hasPassagesColumn). */
  private passagesColumn = false;
  /** Known to have the codes column (compressed-only indexes; tables from before it lack it). */
  private codesColumn = false;
  readonly keepsCodes = true;
  tuning: LanceDbSearchTuning = {};

  private db: lancedb.Connection | undefined;

  private constructor(dir: string) {
    this.location = dir;
  }

  /** Opens (or prepares) the index folder; refuses a non-empty folder that is not an index. */
  static async open(dir: string): Promise<LanceDbStore> {
    const abs = resolve(dir);
    const store = new LanceDbStore(abs);
    if (!existsSync(abs)) return store;
    if (!statSync(abs).isDirectory())
      throw new TesseraError('NOT_AN_INDEX', `${abs} is a file, not an index folder`, { location: abs });
    // LanceDB's own namespace folder may be there alone (a connection was opened); anything else needs the manifest.
    const entries = readdirSync(abs).filter((f) => f !== '__manifest');
    if (entries.length && !entries.includes(MANIFEST_FILE))
      throw new TesseraError(
        'NOT_AN_INDEX',
        `${abs} is not a Tessera index (it has files but no ${MANIFEST_FILE}); give a new or empty folder`,
        { location: abs },
      );
    if (!entries.length) return store;
    const db = await store.connection();
    if ((await db.tableNames()).includes(TABLE)) store.table = await openCommitted(db, abs);
    store.dimension = (await store.readManifest())?.dimension;
    return store;
  }

  /** Connects on first need: reading a folder that does not exist creates nothing. */
  private async connection(): Promise<lancedb.Connection> {
    if (!this.db) {
      try {
        // Every read sees the latest commit: other processes (a queue's workers) write the same table.
        this.db = await lancedb.connect(this.location, { readConsistencyInterval: 0 });
      } catch (e) {
        throw storeError(this, 'opening', e);
      }
    }
    return this.db;
  }

  /**
   * The table, opened now if another process has created it since this store was opened (a
   * search opened before the first write, a queue's workers): readers never stay blind to it.
   */
  private async current(): Promise<lancedb.Table | undefined> {
    if (this.table || !existsSync(this.location)) return this.table;
    const db = await this.connection();
    if ((await db.tableNames()).includes(TABLE)) {
      this.table = await openCommitted(db, this.location);
      this.dimension ??= (await this.readManifest())?.dimension;
    }
    return this.table;
  }

  private live(): void {
    if (this.closed)
      throw new TesseraError('DISPOSED', `the index at ${this.location} was closed`, { location: this.location });
  }

  async readManifest(): Promise<IndexManifest | undefined> {
    this.live();
    let text: string;
    try {
      text = await readFile(join(this.location, MANIFEST_FILE), 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw storeError(this, `reading ${MANIFEST_FILE}`, e);
    }
    try {
      return JSON.parse(text) as IndexManifest;
    } catch {
      throw new TesseraError(
        'NOT_AN_INDEX',
        `${join(this.location, MANIFEST_FILE)} is not valid JSON; the index is damaged`,
        { location: this.location },
      );
    }
  }

  async writeManifest(manifest: IndexManifest): Promise<void> {
    this.live();
    // Written to a temporary file and renamed: a crash leaves the old manifest or the new one.
    const file = join(this.location, MANIFEST_FILE);
    try {
      await mkdir(this.location, { recursive: true });
      await writeFile(`${file}.tmp`, `${JSON.stringify(manifest, null, 2)}\n`);
      await rename(`${file}.tmp`, file);
    } catch (e) {
      throw storeError(this, `writing ${MANIFEST_FILE}`, e);
    }
    this.dimension = manifest.dimension;
  }

  private check(records: readonly StoreRecord[]): number {
    const dim = this.dimension ?? records[0]?.vectors.dim;
    records.forEach((r, i) => {
      checkRecord(r, i, dim);
      // LanceDB ranks multivector search by cosine; that equals MaxSim's dot only for unit rows.
      const { data, rows, dim: d } = r.vectors;
      for (let row = 0; row < rows; row++) {
        let n = 0;
        for (let c = 0; c < d; c++) n += data[row * d + c]! ** 2;
        if (!(Math.abs(n - 1) < 1e-3))
          throw new TesseraError(
            'INVALID_INPUT',
            `record ${i} (id ${JSON.stringify(r.id)}): row ${row} has length ${Math.sqrt(n).toFixed(4)}; this ` +
              `store holds unit-length rows (LanceDB searches multivectors by cosine), so the model must ` +
              `normalize its rows`,
            { index: i, id: r.id },
          );
      }
    });
    return dim!;
  }

  async add(records: readonly StoreRecord[]): Promise<void> {
    this.live();
    if (!records.length) return;
    const dim = this.check(records);
    let data: ReturnType<typeof recordsToTable> | undefined;
    await this.retrying(`writing ${records.length} documents`, async () => {
      if (!this.table) this.table = await this.createOrOpen(dim);
      await this.addPassagesColumn();
      if (records.some((r) => r.codes)) await this.addCodesColumn();
      data ??= recordsToTable(records, dim, await this.hasJsonMetadata(), await this.hasCodesColumn());
      await this.table.add(data);
    });
  }

  async upsert(records: readonly StoreRecord[], options: UpsertOptions = {}): Promise<{ replaced: number }> {
    this.live();
    if (!records.length) return { replaced: 0 };
    const dim = this.check(records);
    let data: ReturnType<typeof recordsToTable> | undefined;
    return this.retrying(`writing ${records.length} documents`, async () => {
      if (!this.table) this.table = await this.createOrOpen(dim);
      await this.addPassagesColumn();
      if (records.some((r) => r.codes)) await this.addCodesColumn();
      data ??= recordsToTable(records, dim, await this.hasJsonMetadata(), await this.hasCodesColumn());
      // One commit: the matched rows are rewritten and the new ones inserted together. keepLater
      // leaves a row of the same source at a later line (its id's last occurrence).
      const when = options.keepLater
        ? { where: 'target.source <> source.source OR target.seq <= source.seq' }
        : undefined;
      const r = await this.table.mergeInsert('id').whenMatchedUpdateAll(when).whenNotMatchedInsertAll().execute(data);
      return { replaced: r.numUpdatedRows };
    });
  }

  /** Whether the table has the passages column (tables written before passages existed lack it). */
  private async hasPassagesColumn(): Promise<boolean> {
    if (this.passagesColumn) return true;
    this.passagesColumn = (await this.table!.schema()).fields.some((f) => f.name === 'passages');
    return this.passagesColumn;
  }

  /** Whether the table has the codes column (tables written before compressed-only indexes lack it). */
  private async hasCodesColumn(): Promise<boolean> {
    if (this.codesColumn) return true;
    this.codesColumn = (await this.table!.schema()).fields.some((f) => f.name === 'codes');
    return this.codesColumn;
  }

  private async addCodesColumn(): Promise<void> {
    if (await this.hasCodesColumn()) return;
    try {
      await this.table!.addColumns(codesField());
    } catch (e) {
      if (!(await this.hasCodesColumn())) throw e;
    }
    this.codesColumn = true;
  }

  /** Whether the table's metadata column is Lance's JSON type (tables from before filtering hold plain text). */
  private async hasJsonMetadata(): Promise<boolean> {
    this.jsonMetadata ??= hasJsonMetadata(await this.table!.schema());
    return this.jsonMetadata;
  }

  /** Gives an older table the passages column (all null) before its first write here. */
  private async addPassagesColumn(): Promise<void> {
    if (await this.hasPassagesColumn()) return;
    try {
      await this.table!.addColumns(passagesField());
    } catch (e) {
      // Another writer (a queue worker) may have added it first.
      if (!(await this.hasPassagesColumn())) throw e;
    }
    this.passagesColumn = true;
  }

  /** The columns a hit is read from. */
  private async hitColumns(): Promise<string[]> {
    return [
      'id',
      'vectors',
      'text',
      'metadata',
      ...((await this.hasPassagesColumn()) ? ['passages'] : []),
      ...((await this.hasCodesColumn()) ? ['codes'] : []),
    ];
  }

  /** The table: created empty (or found, when another process created it first). */
  private async createOrOpen(dim: number): Promise<lancedb.Table> {
    const db = await this.connection();
    if ((await db.tableNames()).includes(TABLE)) return openCommitted(db, this.location);
    return db.createEmptyTable(TABLE, tableSchema(dim), { mode: 'create', existOk: true });
  }

  /**
   * Runs a write, again after a commit conflict with another writer (LanceDB retries some itself;
   * a merge that loses a race to a concurrent commit is retried here, with jitter, up to 8 times).
   */
  private async retrying<T>(doing: string, write: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await write();
      } catch (e) {
        if (!commitConflict(e) || attempt >= 8) throw storeError(this, doing, e);
        await new Promise((r) => setTimeout(r, 20 * 2 ** attempt * (0.5 + Math.random())));
      }
    }
  }

  async *entries(): AsyncIterable<StoredEntry> {
    this.live();
    if (!(await this.current())) return;
    for await (const batch of this.table!.query().select(['id', 'source', 'seq'])) {
      const ids = batch.getChild('id')!;
      const sources = batch.getChild('source')!;
      const seqs = batch.getChild('seq')!;
      for (let i = 0; i < batch.numRows; i++)
        yield { id: ids.get(i) as string, source: sources.get(i) as string, seq: Number(seqs.get(i)) };
    }
  }

  async count(): Promise<number> {
    this.live();
    const table = await this.current();
    return table ? table.countRows() : 0;
  }

  /** True once createAnnIndex() has built an approximate index. */
  async hasAnnIndex(): Promise<boolean> {
    this.live();
    const table = await this.current();
    return !!table && (await table.listIndices()).some((i) => i.columns.includes('vectors'));
  }

  async search(query: RowMatrix, options: StoreSearchOptions): Promise<StoreHit[]> {
    this.live();
    if (!(await this.current())) return [];
    if (options.where !== undefined) await this.checkWhere(options.where);
    if (query.rows === 0) return [];
    return (await this.hasAnnIndex()) ? this.searchAnn(query, options) : this.searchExact(query, options);
  }

  /** The ids of the documents a filter (LanceDB SQL on id, text, source, metadata) selects. */
  async idsWhere(where: string): Promise<string[]> {
    this.live();
    if (!(await this.current())) return [];
    await this.checkWhere(where);
    const ids: string[] = [];
    for await (const batch of this.table!.query().where(where).select(['id'])) {
      const col = batch.getChild('id')!;
      for (let i = 0; i < batch.numRows; i++) ids.push(col.get(i) as string);
    }
    return ids;
  }

  /**
   * Plans the filter once on a one-row query, so an expression LanceDB refuses is reported as
   * the user's (with LanceDB's reason) rather than as a store failure in the middle of a scan.
   */
  private async checkWhere(where: string): Promise<void> {
    if (typeof where !== 'string' || !where.trim())
      throw new TesseraError(
        'INVALID_FILTER',
        `a filter must be a non-empty SQL expression (got ${JSON.stringify(where)})`,
        {
          where,
        },
      );
    try {
      await this.table!.query().where(where).select(['id']).limit(1).toArray();
    } catch (e) {
      const reason = String((e as Error)?.message ?? e)
        .replace(/,?\s*\/\S+\.rs:\d+:\d+[\s\S]*$/, '')
        .replace(/^.*?lance error: /, '')
        .replace(/\s+/g, ' ')
        .trim();
      const plain =
        /json_/i.test(where) && !(await this.hasJsonMetadata())
          ? '; this index keeps metadata as plain text (it was written before metadata became JSON): ' +
            'the json_* functions need an index written by this version, so re-index into a new folder'
          : '';
      throw new TesseraError(
        'INVALID_FILTER',
        `${this.location}: LanceDB refused the filter ${JSON.stringify(where)}: ${reason}${plain}`,
        { location: this.location, where, reason: reason + plain },
        { cause: e },
      );
    }
  }

  /**
   * Exact search: the vectors column scanned batch by batch and scored with core's MaxSim, then
   * the winners' rows fetched. Hand-written because LanceDB 0.31's own flat multivector search
   * took 28.6 s a query on 10k documents here, against under 2 s for this scan (bench/README).
   */
  private async searchExact(query: RowMatrix, options: StoreSearchOptions): Promise<StoreHit[]> {
    const best: Array<{ id: string; score: number }> = [];
    const withPassages = await this.hasPassagesColumn();
    const scan = options.where !== undefined ? this.table!.query().where(options.where) : this.table!.query();
    for await (const batch of scan.select(['id', 'vectors', ...(withPassages ? ['passages'] : [])])) {
      const ids = batch.getChild('id')!;
      const passages = withPassages ? batch.getChild('passages')! : undefined;
      const docs = columnRows(batch.getChild('vectors')!, query.dim).map((vectors, i) => {
        const spans = passages ? cellToPassages(passages.get(i)) : undefined;
        return spans ? { vectors, passages: spans } : { vectors };
      });
      const { scores } = bestPassageScores(query, docs);
      for (const { index, score } of topK(scores, Math.min(options.limit, scores.length)))
        best.push({ id: ids.get(index) as string, score });
      best.sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1));
      best.length = Math.min(best.length, options.limit);
    }
    if (!best.length) return [];
    const quoted = best.map((b) => `'${b.id.replaceAll("'", "''")}'`).join(', ');
    const rows = await this.table!.query()
      .where(`id IN (${quoted})`)
      .select(await this.hitColumns())
      .toArray();
    const byId = new Map(rows.map((r) => [r.id as string, r]));
    return best.map((b) => this.hit(byId.get(b.id)!, b.score, query.dim));
  }

  private async searchAnn(query: RowMatrix, options: StoreSearchOptions): Promise<StoreHit[]> {
    const { data, dim } = query;
    let q = this.table!.query().nearestTo(data.subarray(0, dim));
    for (let r = 1; r < query.rows; r++) q = q.addQueryVector(data.subarray(r * dim, (r + 1) * dim));
    q = q
      .column('vectors')
      .distanceType('cosine')
      .limit(options.limit)
      .nprobes(this.tuning.nprobes ?? 50)
      .refineFactor(this.tuning.refineFactor ?? 200);
    if (options.where !== undefined) q = q.where(options.where);
    const rows = await q.select([...(await this.hitColumns()), '_distance']).toArray();
    // LanceDB's multivector distance is 1 - (sum over query rows of the best cosine).
    return rows.map((r) => this.hit(r, 1 - (r._distance as number), dim));
  }

  private hit(r: Record<string, unknown>, score: number, dim: number): StoreHit {
    return {
      id: r.id as string,
      score,
      vectors: cellToRows(r.vectors, dim),
      ...(r.text != null ? { text: r.text as string } : {}),
      ...(r.metadata != null ? { metadata: JSON.parse(r.metadata as string) as Record<string, unknown> } : {}),
      ...(r.passages != null ? { passages: cellToPassages(r.passages)! } : {}),
      ...(r.codes != null ? { codes: new Uint8Array(r.codes as Uint8Array) } : {}),
    };
  }

  /**
   * Builds an approximate (IVF-PQ) index on the token vectors: for corpora far past 10k
   * documents, where the exact scan grows too slow; recall depends on `tuning` (README).
   * Rebuild it after adding many documents.
   */
  async createAnnIndex(options: AnnIndexOptions = {}): Promise<void> {
    this.live();
    if (!this.table)
      throw new TesseraError(
        'INVALID_OPTION',
        `${this.location} is empty; index documents before building an ANN index`,
        { location: this.location },
      );
    const dim = this.dimension!;
    let tokenRows = 0;
    for await (const batch of this.table.query().select(['vectors'])) {
      const col = batch.getChild('vectors')!;
      tokenRows += (col.data[0]!.children[0]!.length as number) ?? 0;
      for (let i = 1; i < col.data.length; i++) tokenRows += col.data[i]!.children[0]!.length;
    }
    const partitions = options.partitions ?? Math.max(1, Math.min(1024, Math.round(Math.sqrt(tokenRows))));
    const subVectors = options.subVectors ?? Math.max(1, Math.floor(dim / 8));
    try {
      await this.table.createIndex('vectors', {
        config: lancedb.Index.ivfPq({ distanceType: 'cosine', numPartitions: partitions, numSubVectors: subVectors }),
        replace: true,
      });
    } catch (e) {
      throw storeError(this, 'building the ANN index', e);
    }
  }

  /** Compacts the small files each write leaves and drops old versions. */
  async optimize(): Promise<void> {
    this.live();
    if (!this.table) return;
    try {
      await this.table.optimize({ cleanupOlderThan: new Date() });
    } catch (e) {
      throw storeError(this, 'compacting', e);
    }
    await this.indexIds();
  }

  /**
   * A B-tree on `id` (once; optimize() keeps it current): fetch(), which the compressed index
   * calls for its candidates on every search, then reads the rows it wants instead of scanning
   * the whole id column (bench/results/*-search.md has the figures).
   */
  private async indexIds(): Promise<void> {
    if ((await this.table!.listIndices()).some((i) => i.columns.length === 1 && i.columns[0] === 'id')) return;
    try {
      await this.table!.createIndex('id', { config: lancedb.Index.btree() });
    } catch (e) {
      // A concurrent writer's commit: the next optimize() builds it; anything else is a real failure.
      if (!commitConflict(e)) throw storeError(this, 'indexing the ids', e);
    }
  }

  /** Bytes the folder takes on disk. */
  sizeOnDisk(): number {
    const walk = (p: string): number => {
      const s = statSync(p);
      return s.isDirectory() ? readdirSync(p).reduce((n, f) => n + walk(join(p, f)), 0) : s.size;
    };
    return existsSync(this.location) ? walk(this.location) : 0;
  }

  /** Every document with its rows, in the table's order (stable while nothing is written). */
  async *documents(): AsyncIterable<{ id: string; vectors: RowMatrix; codes?: Uint8Array }> {
    this.live();
    if (!(await this.current())) return;
    const dim = this.dimension!;
    const withCodes = await this.hasCodesColumn();
    for await (const batch of this.table!.query().select(['id', 'vectors', ...(withCodes ? ['codes'] : [])])) {
      const ids = batch.getChild('id')!;
      const codes = withCodes ? batch.getChild('codes')! : undefined;
      const rows = columnRows(batch.getChild('vectors')!, dim);
      for (let i = 0; i < batch.numRows; i++) {
        const c = codes?.get(i) as Uint8Array | null | undefined;
        yield { id: ids.get(i) as string, vectors: rows[i]!, ...(c ? { codes: new Uint8Array(c) } : {}) };
      }
    }
  }

  /** These documents with their rows, text and metadata (unknown ids are left out). */
  async fetch(ids: readonly string[]): Promise<StoreHit[]> {
    this.live();
    if (!(await this.current()) || !ids.length) return [];
    const quoted = ids.map((id) => `'${id.replaceAll("'", "''")}'`).join(', ');
    const rows = await this.table!.query()
      .where(`id IN (${quoted})`)
      .select(await this.hitColumns())
      .toArray();
    return rows.map((r) => this.hit(r, 0, this.dimension!));
  }

  /** The table's version: LanceDB commits a new one with every write. */
  async version(): Promise<string> {
    this.live();
    const table = await this.current();
    return table ? String(await table.version()) : '0';
  }

  /**
   * Named file sets in folders beside the table. A set is written into a new folder and swapped
   * in by renames, so a crash leaves the old set, the new one, or (between the two renames) none,
   * which readers take as no index: never a mix.
   */
  readonly artifacts: StoreArtifacts = {
    read: async (set, file) => {
      this.live();
      try {
        return new Uint8Array(await readFile(safeJoin(join(this.location, set), file)));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw storeError(this, `reading ${set}/${file}`, e);
      }
    },
    write: async (set, files) => {
      this.live();
      const dir = safeJoin(this.location, set);
      const fresh = `${dir}.new-${process.pid}`;
      const old = `${dir}.old-${process.pid}`;
      try {
        await rm(fresh, { recursive: true, force: true });
        await mkdir(fresh, { recursive: true });
        for (const [name, bytes] of Object.entries(files)) await writeFile(safeJoin(fresh, name), bytes);
        if (existsSync(dir)) await rename(dir, old);
        await rename(fresh, dir);
        await rm(old, { recursive: true, force: true });
      } catch (e) {
        await rm(fresh, { recursive: true, force: true }).catch(() => undefined);
        throw storeError(this, `writing ${set}`, e);
      }
    },
    remove: async (set) => {
      this.live();
      await rm(safeJoin(this.location, set), { recursive: true, force: true });
    },
  };

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.table?.close();
    this.db?.close();
  }
}
