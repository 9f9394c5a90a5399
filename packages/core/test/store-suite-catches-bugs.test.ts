import { describe, expect, it } from 'vitest';
import { defineStoreConformanceSuite } from '../src/conformance/suite.js';
import {
  MemoryStore,
  type RowMatrix,
  type Store,
  type StoredEntry,
  type StoreHit,
  type StoreRecord,
  type StoreSearchOptions,
} from '../src/index.js';
import { TesseraError } from '../src/errors.js';
import { collectOutcomes } from '../src/testing/index.js';

/**
 * The store suite must fail, naming the bug, for each mistake a store author is likely to make.
 * Each mutant is the reference store with one bug planted.
 */
const run = (open: () => Promise<Store>) =>
  collectOutcomes((h) =>
    defineStoreConformanceSuite(h, {
      name: 'mutant',
      open,
      filter: { equals: (key, value) => `${key}=${value}`, invalid: 'no operator' },
    }),
  );

/** A store that filters, in a toy language (`key=value` on metadata), as a store package's would in its own. */
class Filtering extends MemoryStore {
  protected selects(where: string): (h: StoreHit) => boolean {
    const eq = where.indexOf('=');
    if (eq < 0) throw new TesseraError('INVALID_FILTER', `cannot read the filter ${JSON.stringify(where)}`, { where });
    const [key, value] = [where.slice(0, eq), where.slice(eq + 1)];
    return (h) => h.metadata?.[key] === value;
  }
  async idsWhere(where: string): Promise<string[]> {
    const keep = this.selects(where);
    const ids: string[] = [];
    for await (const e of this.entries()) ids.push(e.id);
    return (await this.fetch(ids)).filter(keep).map((h) => h.id);
  }
  override async search(query: RowMatrix, o: StoreSearchOptions): Promise<StoreHit[]> {
    if (o.where === undefined) return super.search(query, o);
    const keep = this.selects(o.where);
    return (await super.search(query, { limit: 1e9 })).filter(keep).slice(0, o.limit);
  }
}

class FiltersAfterLimit extends Filtering {
  // Filters the unfiltered top-k instead of taking the top k of the filtered documents.
  override async search(query: RowMatrix, o: StoreSearchOptions): Promise<StoreHit[]> {
    if (o.where === undefined) return super.search(query, o);
    const keep = this.selects(o.where);
    return (await super.search(query, { limit: o.limit })).filter(keep);
  }
}

class IgnoresWhere extends MemoryStore {
  // Has no filter, and answers a filtered search unfiltered.
  override async search(query: RowMatrix, o: StoreSearchOptions): Promise<StoreHit[]> {
    return super.search(query, { limit: o.limit });
  }
}

class SumNotMax extends MemoryStore {
  // Sums every dot product instead of taking each query row's best.
  override async search(query: RowMatrix, o: StoreSearchOptions): Promise<StoreHit[]> {
    const hits = await super.search(query, { limit: 1e9 });
    const score = (v: RowMatrix) => {
      let s = 0;
      for (let q = 0; q < query.rows; q++)
        for (let r = 0; r < v.rows; r++)
          for (let c = 0; c < v.dim; c++) s += query.data[q * v.dim + c]! * v.data[r * v.dim + c]!;
      return s;
    };
    return hits
      .map((h) => ({ ...h, score: score(h.vectors!) }))
      .sort((a, b) => b.score - a.score)
      .slice(0, o.limit);
  }
}
class WorstFirst extends MemoryStore {
  override async search(query: RowMatrix, o: StoreSearchOptions): Promise<StoreHit[]> {
    return (await super.search(query, { limit: 1e9 })).reverse().slice(0, o.limit);
  }
}
class NotAtomic extends MemoryStore {
  // Writes each valid record before it reaches the bad one.
  override async add(records: readonly StoreRecord[]): Promise<void> {
    for (const r of records) await super.add([r]);
  }
}
class LosesMetadata extends MemoryStore {
  override async add(records: readonly StoreRecord[]): Promise<void> {
    await super.add(records.map(({ metadata: _m, ...r }) => r));
  }
}
class NoReplacedCount extends MemoryStore {
  override async upsert(records: readonly StoreRecord[]): Promise<{ replaced: number }> {
    await super.upsert(records);
    return { replaced: 0 };
  }
}
class StaleEntries extends MemoryStore {
  // Reports the first position an id was written at, not its latest.
  private first = new Map<string, number>();
  override async upsert(records: readonly StoreRecord[]): Promise<{ replaced: number }> {
    for (const r of records) if (!this.first.has(r.id)) this.first.set(r.id, r.seq);
    return super.upsert(records);
  }
  override async add(records: readonly StoreRecord[]): Promise<void> {
    for (const r of records) this.first.set(r.id, r.seq);
    return super.add(records);
  }
  override async *entries(): AsyncIterable<StoredEntry> {
    for await (const e of super.entries()) yield { ...e, seq: this.first.get(e.id) ?? e.seq };
  }
}
class OpenAfterClose extends MemoryStore {
  override async close(): Promise<void> {}
}

describe('the store conformance suite', () => {
  it('passes the reference store', async () => {
    const out = await run(async () => new MemoryStore());
    expect(out.filter((o) => o.error)).toEqual([]);
    expect(out.length).toBeGreaterThanOrEqual(8);
  });

  it('passes a store that filters correctly', async () => {
    const out = await run(async () => new Filtering());
    expect(out.filter((o) => o.error)).toEqual([]);
  });

  const cases: Array<[string, () => Store, RegExp, RegExp]> = [
    [
      'sums every dot product instead of MaxSim',
      () => new SumNotMax(),
      /exact MaxSim top-k/,
      /exact MaxSim ranks|score .* exact MaxSim/,
    ],
    ['returns the worst hits first', () => new WorstFirst(), /exact MaxSim top-k/, /exact MaxSim ranks/],
    ['writes part of a refused batch', () => new NotAtomic(), /all of a batch or none/, /count after refused writes/],
    ['drops metadata', () => new LosesMetadata(), /exact MaxSim top-k/, /metadata/],
    ['says it replaced nothing', () => new NoReplacedCount(), /upserts by id/, /replaced/],
    ['lists a replaced id at its old position', () => new StaleEntries(), /upserts by id/, /entry of the replaced id/],
    ['keeps answering after close', () => new OpenAfterClose(), /after close/, /should have been refused/],
    ['filters after the limit', () => new FiltersAfterLimit(), /filters by metadata/, /filtered top 4/],
    ['answers a filter it cannot apply', () => new IgnoresWhere(), /filters by metadata/, /should have been refused/],
  ];
  for (const [bug, make, test, message] of cases)
    it(`fails a store that ${bug}, saying why`, async () => {
      const out = await run(async () => make());
      const failed = out.filter((o) => o.error);
      const hit = failed.find((o) => test.test(o.name));
      expect(hit, `failures: ${JSON.stringify(failed.map((f) => f.name))}`).toBeDefined();
      expect(hit!.error).toMatch(message);
    });
});
