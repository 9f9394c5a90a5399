import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { TesseraError } from '../errors.js';
import { parseRecord } from './parse-record.js';
import { corpusFormat, type IdRule } from './read-corpus.js';

/** A piece of a corpus file: a byte range of whole lines, and the line number it starts at. */
export interface Shard {
  index: number;
  start: number;
  end: number;
  firstLine: number;
  /** Non-blank lines in it. */
  lines: number;
}

export interface ShardPlan {
  shards: Shard[];
  /** The file's format and id rule, decided once for every shard. */
  format: 'jsonl' | 'text';
  ids: IdRule;
  size: number;
  mtimeMs: number;
  lines: number;
}

/**
 * Cuts a corpus file into shards of about `linesPerShard` non-blank lines at line boundaries,
 * reading it once (only newlines are looked at; texts stay where they are). The first record
 * decides the format and id rule for all shards, as the single-process reader decides them.
 */
export async function planShards(
  path: string,
  linesPerShard: number,
  o: { textField?: string; idField?: string } = {},
): Promise<ShardPlan> {
  if (!Number.isInteger(linesPerShard) || linesPerShard < 1)
    throw new TesseraError('INVALID_OPTION', `shard size must be a positive integer (got ${linesPerShard})`, {
      field: 'linesPerShard',
    });
  let s;
  try {
    s = await stat(path);
  } catch (e) {
    throw new TesseraError(
      'INVALID_INPUT',
      `cannot read ${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`,
      { file: path },
    );
  }
  if (!s.isFile())
    throw new TesseraError('INVALID_INPUT', `${path} is not a file: a queued run shards a JSONL or text file`, {
      file: path,
    });
  const shards: Shard[] = [];
  let offset = 0;
  let line = 0;
  let shardStart = 0;
  let shardFirstLine = 1;
  let inShard = 0;
  let total = 0;
  let lineStart = 0;
  let blank = true;
  const endLine = (end: number) => {
    line++;
    if (!blank) {
      inShard++;
      total++;
    }
    blank = true;
    if (inShard >= linesPerShard) {
      shards.push({ index: shards.length, start: shardStart, end, firstLine: shardFirstLine, lines: inShard });
      shardStart = end;
      shardFirstLine = line + 1;
      inShard = 0;
    }
    lineStart = end;
  };
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i]!;
      if (b === 0x0a) endLine(offset + i + 1);
      else if (blank && b !== 0x20 && b !== 0x09 && b !== 0x0d) blank = false;
    }
    offset += chunk.length;
  }
  if (lineStart < offset) endLine(offset);
  if (inShard > 0)
    shards.push({ index: shards.length, start: shardStart, end: offset, firstLine: shardFirstLine, lines: inShard });
  const head = await firstRecord(path);
  const format = corpusFormat(path, head);
  let ids: IdRule = 'lines';
  if (format === 'jsonl') {
    if (o.idField !== undefined) ids = { field: o.idField };
    else {
      const r = parseRecord(head, { text: o.textField ?? 'text', id: 'id', idRequired: false });
      ids = 'id' in r && r.id !== undefined ? { field: 'id' } : 'lines';
    }
  }
  return { shards, format, ids, size: s.size, mtimeMs: s.mtimeMs, lines: total };
}

/** The first non-blank line of a file ('' for none). */
async function firstRecord(path: string): Promise<string> {
  const lines = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
  try {
    for await (const l of lines) if (l.trim()) return l;
    return '';
  } finally {
    lines.close();
  }
}
