/** Parsing one JSONL corpus record: its text, id and other fields, or what is wrong with it. */

export interface RecordFields {
  /** The field that holds the text. */
  text: string;
  /** The field that holds the id. */
  id: string;
  /** A record without the id field is a problem (else it has no id). */
  idRequired: boolean;
}

/** One JSONL record: its text, id and the other fields, or what is wrong with it. */
export function parseRecord(
  raw: string,
  f: RecordFields,
): { text: string; id?: string | number; rest: Record<string, unknown> } | { problem: string } {
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch (e) {
    return { problem: `invalid JSON (${(e as Error).message})` };
  }
  if (!v || typeof v !== 'object' || Array.isArray(v))
    return { problem: `expected a JSON object with a "${f.text}" field` };
  const { [f.text]: text, [f.id]: id, ...rest } = v as Record<string, unknown>;
  const kind = (x: unknown) => (x === null ? 'null' : Array.isArray(x) ? 'array' : typeof x);
  if (text === undefined) return { problem: `missing "${f.text}" field` };
  if (typeof text !== 'string') return { problem: `"${f.text}" must be a string, got ${kind(text)}` };
  if (id === undefined) return f.idRequired ? { problem: `missing "${f.id}" field` } : { text, rest };
  if (typeof id !== 'string' && typeof id !== 'number')
    return { problem: `"${f.id}" must be a string or number, got ${kind(id)}` };
  if (id === '') return { problem: `"${f.id}" is empty` };
  return { text, id, rest };
}
