import { HttpError } from './errors.js';

/** The fields that hold texts, per route, in the route's own names. */
const TEXT_FIELDS: Record<string, string[]> = {
  '/v1/embeddings': ['input'],
  '/v1/multi-vector': ['input'],
  '/embed': ['inputs'],
  '/embed_all': ['inputs'],
  '/rerank': ['query', 'texts'],
};

const isInt = (x: unknown) => typeof x === 'number' && Number.isInteger(x);

/** Token ids as OpenAI's API allows them: an array of integers, or an array of such arrays. */
function isTokenIds(v: unknown): boolean {
  if (!Array.isArray(v) || !v.length) return false;
  return v.every(isInt) || v.every((x) => Array.isArray(x) && x.length > 0 && x.every(isInt));
}

/**
 * Token ids where a route takes text: refused with what to send instead. OpenAI's API accepts
 * them, and LangChain's OpenAIEmbeddings sends them by default; they are the client's tokenizer's
 * ids, which mean nothing to another model.
 */
export function refuseTokenIds(route: string, body: unknown): void {
  if (body === null || typeof body !== 'object') return;
  for (const field of TEXT_FIELDS[route] ?? []) {
    if (!isTokenIds((body as Record<string, unknown>)[field])) continue;
    const client =
      route === '/v1/embeddings'
        ? " LangChain's OpenAIEmbeddings sends token ids unless it is created with check_embedding_ctx_length=False."
        : '';
    throw new HttpError(
      422,
      'validation',
      `${field} holds token ids; send text instead (a string or an array of strings): token ids are ` +
        `tokenizer-specific, and this server tokenizes each text for the model it serves.${client}`,
      field,
    );
  }
}

/** What ajv reports for one failed keyword (verbose: with the value it read). */
export interface SchemaError {
  keyword: string;
  instancePath: string;
  params: Record<string, unknown>;
  message?: string;
  data?: unknown;
}

/** "/texts/3" → "texts[3]"; the body itself → "the body". */
function fieldOf(path: string): string {
  const parts = path.split('/').filter(Boolean);
  if (!parts.length) return 'the body';
  return parts.map((p, i) => (/^\d+$/.test(p) ? `[${p}]` : i ? `.${p}` : p)).join('');
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return v.length ? `an array holding ${describe(v[0])}` : 'an empty array';
  if (typeof v === 'string') return 'a string';
  if (typeof v === 'number') return `the number ${v}`;
  if (typeof v === 'object') return 'an object';
  return `a ${typeof v}`;
}

const TYPE_WORDS: Record<string, string> = {
  string: 'a string',
  integer: 'an integer',
  number: 'a number',
  boolean: 'true or false',
  array: 'an array',
  object: 'a JSON object',
};

/** One sentence for a body the schema refused, naming the field and what it holds. */
export function schemaMessage(errors: readonly SchemaError[]): { message: string; field: string | undefined } {
  // anyOf comes after its branches' errors: it is the one that says what the field may be.
  const e = errors.find((x) => x.keyword === 'anyOf') ?? errors[0];
  if (!e) return { message: 'the body does not match what this route takes', field: undefined };
  const field = fieldOf(e.instancePath);
  const got = 'data' in e ? ` (got ${describe(e.data)})` : '';
  const param = e.instancePath ? field : undefined;
  switch (e.keyword) {
    case 'required': {
      const name = String(e.params.missingProperty);
      return { message: `${name} is required`, field: name };
    }
    case 'anyOf': {
      // An array with one wrong item: name the item, not the array.
      const item = errors.find((x) => x.instancePath.startsWith(`${e.instancePath}/`) && 'data' in x);
      const what = item ? ` (${fieldOf(item.instancePath)} is ${describe(item.data)})` : got;
      return { message: `${field} must be a string or an array of strings${what}`, field: param };
    }
    case 'type': {
      const want = String(e.params.type)
        .split(',')
        .map((t) => TYPE_WORDS[t] ?? t)
        .join(' or ');
      return { message: `${field} must be ${want}${got}`, field: param };
    }
    case 'enum':
      return {
        message: `${field} must be one of ${(e.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}${got}`,
        field: param,
      };
    case 'minimum':
      return { message: `${field} must be at least ${String(e.params.limit)}${got}`, field: param };
    default:
      return { message: `${field} ${e.message ?? 'is not valid'}${got}`, field: param };
  }
}
