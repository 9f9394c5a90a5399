import { createRequire } from 'node:module';
import type * as Arrow from 'apache-arrow';
import type { Data, List, Schema, Table } from 'apache-arrow';
import type { PassageSpan, RowMatrix, StoreRecord } from '@tessera/core';

// LanceDB requires apache-arrow's CommonJS build and checks tables with instanceof; an ESM import
// would load the other build, whose tables it does not recognize. So: the same build it uses.
const {
  Binary,
  Field,
  FixedSizeList,
  Float32,
  List: ListType,
  RecordBatch,
  Schema: SchemaType,
  Struct,
  Table: TableType,
  Uint32,
  Utf8,
  makeData,
  vectorFromArray,
} = createRequire(import.meta.url)('apache-arrow') as typeof Arrow;

/**
 * The table's columns. Token vectors are List<FixedSizeList<Float32, dim>>: the multivector
 * type LanceDB's MaxSim search and multivector indexes work on. Metadata is JSON text marked
 * with Arrow's JSON extension type, which Lance stores as its JSON type so that filters can use
 * json_get_string(metadata, 'key') and the other json_* functions; `jsonMetadata: false` gives
 * the plain text column of tables written before that (appends must match the table).
 */
export function tableSchema(dim: number, jsonMetadata = true, codes = true): Schema {
  const row = new FixedSizeList(dim, new Field('item', new Float32(), true));
  return new SchemaType([
    new Field('id', new Utf8(), false),
    new Field('vectors', new ListType(new Field('item', row, true)), false),
    new Field('source', new Utf8(), false),
    new Field('seq', new Uint32(), false),
    new Field('text', new Utf8(), true),
    new Field('metadata', new Utf8(), true, jsonMetadata ? JSON_EXTENSION : undefined),
    passagesField(),
    ...(codes ? [codesField()] : []),
  ]);
}

/**
 * A compressed-only index's rows as centroids and packed residuals (StoreRecord.codes), null for
 * a document with float rows. Added to older tables before the first write that carries codes.
 */
export const codesField = () => new Field('codes', new Binary(), true);

const JSON_EXTENSION = new Map([['ARROW:extension:name', 'arrow.json']]);

/** Whether a stored table's metadata column is Lance's JSON type (else plain text, from before filtering). */
export function hasJsonMetadata(schema: Schema): boolean {
  const field = schema.fields.find((f) => f.name === 'metadata');
  return !!field && field.metadata.get('ARROW:extension:name') === 'lance.json';
}

/** Passage spans of a document stored as several passages: JSON [[start, end, rows], ...], null otherwise. Added to older tables on their first write. */
export const passagesField = () => new Field('passages', new Utf8(), true);

/** A passages cell back as spans (undefined for a document stored whole). */
export function cellToPassages(cell: unknown): PassageSpan[] | undefined {
  if (cell == null) return undefined;
  return (JSON.parse(cell as string) as Array<[number, number, number]>).map(([start, end, rows]) => ({
    start,
    end,
    rows,
  }));
}

/**
 * Records as one Arrow table, the vectors copied once into a single Float32 buffer (building
 * them as nested JS arrays would cost a boxed number per float).
 */
export function recordsToTable(records: readonly StoreRecord[], dim: number, jsonMetadata = true, codes = true): Table {
  const schema = tableSchema(dim, jsonMetadata, codes);
  const total = records.reduce((s, r) => s + r.vectors.rows, 0);
  const floats = new Float32Array(total * dim);
  const offsets = new Int32Array(records.length + 1);
  let at = 0;
  records.forEach((r, i) => {
    floats.set(r.vectors.data.subarray(0, r.vectors.rows * dim), at * dim);
    at += r.vectors.rows;
    offsets[i + 1] = at;
  });
  const vectorsField = schema.fields[1]!;
  const rowType = (vectorsField.type as List).children[0]!.type as Arrow.FixedSizeList;
  const values = makeData({ type: new Float32(), length: floats.length, nullCount: 0, data: floats });
  const rows = makeData({ type: rowType, length: total, nullCount: 0, child: values });
  const vectors = makeData({
    type: vectorsField.type as List,
    length: records.length,
    nullCount: 0,
    valueOffsets: offsets,
    child: rows,
  });
  const column = (values: Array<string | null>) => vectorFromArray(values, new Utf8()).data[0]!;
  const children: Data[] = [
    column(records.map((r) => r.id)),
    vectors,
    column(records.map((r) => r.source)),
    makeData({
      type: new Uint32(),
      length: records.length,
      nullCount: 0,
      data: Uint32Array.from(records.map((r) => r.seq)),
    }),
    column(records.map((r) => r.text ?? null)),
    column(records.map((r) => (r.metadata ? JSON.stringify(r.metadata) : null))),
    column(records.map((r) => (r.passages ? JSON.stringify(r.passages.map((p) => [p.start, p.end, p.rows])) : null))),
    ...(codes
      ? [
          vectorFromArray(
            records.map((r) => r.codes ?? null),
            new Binary(),
          ).data[0]!,
        ]
      : []),
  ];
  const struct = makeData({ type: new Struct(schema.fields), length: records.length, nullCount: 0, children });
  return new TableType(schema, [new RecordBatch(schema, struct)]);
}

/** A stored vectors cell (an Arrow list of fixed-size rows) back as rows x dim floats. */
export function cellToRows(cell: unknown, dim: number): RowMatrix {
  const list = cell as { length: number; get(i: number): { toArray(): Float32Array } };
  const rows = list.length;
  const data = new Float32Array(rows * dim);
  for (let r = 0; r < rows; r++) data.set(list.get(r).toArray(), r * dim);
  return { rows, dim, data };
}

/**
 * The documents of one vectors column chunk as rows x dim views into its Float32 buffer (no
 * copy), for scanning a table batch by batch.
 */
export function columnRows(column: { data: ReadonlyArray<Data> }, dim: number): RowMatrix[] {
  const out: RowMatrix[] = [];
  for (const list of column.data) {
    const offsets = list.valueOffsets as Int32Array;
    const rows = list.children[0]!;
    const floats = rows.children[0]!;
    const values = floats.values as Float32Array;
    for (let j = 0; j < list.length; j++) {
      const start = offsets[list.offset + j]!;
      const end = offsets[list.offset + j + 1]!;
      const at = floats.offset + (rows.offset + start) * dim;
      out.push({ rows: end - start, dim, data: values.subarray(at, at + (end - start) * dim) });
    }
  }
  return out;
}
