import { createReadStream } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, join, relative, sep } from 'node:path';
import { createInterface } from 'node:readline';
import { TesseraError } from '../errors.js';
import type { IndexDocument } from '../store/index-documents.js';
import { parseRecord } from './parse-record.js';

/** A line the reader skipped (with skipInvalid) and why. */
export interface CorpusProblem {
  line: number;
  message: string;
}

/** Where JSONL ids come from: a field every record has, or line numbers. */
export type IdRule = { field: string } | 'lines';

export interface CorpusOptions {
  /** JSONL field with the text (default "text"). */
  textField?: string;
  /** JSONL field with the id; given, every record needs it. Default: "id" if the first record has one, else line numbers. */
  idField?: string;
  /** The id rule decided already (a shard of a file whose first record decided it). */
  ids?: IdRule;
  /** Skip bad lines (reported through onSkip) instead of stopping at the first. */
  skipInvalid?: boolean;
  onSkip?: (p: CorpusProblem) => void;
  /** Read only these bytes of a file; `firstLine` is the line number at `start` (1-based). */
  range?: { start: number; end: number; firstLine: number };
}

/** A corpus read document by document, and how far through it the reader is. */
export interface Corpus {
  documents: AsyncIterable<IndexDocument>;
  /** Bytes to read (undefined for stdin) and read so far. */
  size: number | undefined;
  bytesRead: () => number;
  format: 'jsonl' | 'text' | 'folder';
}

/** Files a folder corpus reads, one document each. */
export const TEXT_EXTENSIONS = ['.txt', '.md', '.markdown', '.rst', '.text'];

const bad = (message: string, details: Record<string, unknown>) => new TesseraError('INVALID_INPUT', message, details);

/** Text files under a folder, sorted (so that a rerun sees them in the same order). */
async function textFiles(dir: string): Promise<Array<{ path: string; size: number }>> {
  const out: Array<{ path: string; size: number }> = [];
  const walk = async (d: string) => {
    const entries = await readdir(d, { withFileTypes: true });
    for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      if (e.name.startsWith('.')) continue;
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile() && TEXT_EXTENSIONS.includes(extname(e.name).toLowerCase()))
        out.push({ path: p, size: (await stat(p)).size });
    }
  };
  await walk(dir);
  return out;
}

/** A folder: each text file is a document, its id the path inside the folder. */
async function openFolder(dir: string): Promise<Corpus> {
  const files = await textFiles(dir);
  if (!files.length) throw bad(`${dir} holds no text files (${TEXT_EXTENSIONS.join(', ')})`, { file: dir });
  let read = 0;
  async function* documents(): AsyncGenerator<IndexDocument> {
    for (const [i, f] of files.entries()) {
      let text: string;
      try {
        text = await readFile(f.path, 'utf8');
      } catch (e) {
        throw bad(`cannot read ${f.path}: ${(e as Error).message}`, { file: f.path });
      }
      read += f.size;
      const id = relative(dir, f.path).split(sep).join('/');
      yield { id, text, seq: i, metadata: { path: id } };
    }
  }
  return {
    documents: documents(),
    size: files.reduce((s, f) => s + f.size, 0),
    bytesRead: () => read,
    format: 'folder',
  };
}

/** JSONL by name (.jsonl / .ndjson), text by name (.txt), else undefined: the first line decides. */
export function formatByName(path: string): 'jsonl' | 'text' | undefined {
  return /\.(jsonl|ndjson)$/i.test(path) ? 'jsonl' : /\.txt$/i.test(path) ? 'text' : undefined;
}

/**
 * The one rule every command reads a corpus or an input file by: JSONL or text by the file's
 * name (formatByName); otherwise JSONL when the first non-blank line starts with "{", else text.
 * After that every line is read as that format: a line that does not fit is a problem naming it.
 */
export function corpusFormat(path: string | undefined, firstLine: string): 'jsonl' | 'text' {
  return (path && formatByName(path)) || (firstLine.trimStart().startsWith('{') ? 'jsonl' : 'text');
}

/**
 * Streams a corpus: a folder of text files (each a document, its id the path in the folder),
 * JSONL (one object per line; .jsonl / .ndjson, or a first line that starts with "{"), or plain
 * text (one document per line, ids are line numbers). Holds one line or file at a time; blank
 * lines are skipped; seq is the line (or file) number, so a rerun resumes where it stopped.
 * Bad lines are INVALID_INPUT errors naming the file and line.
 */
export async function openCorpus(path: string, o: CorpusOptions = {}): Promise<Corpus> {
  const stdin = path === '-';
  let size: number | undefined;
  if (!stdin) {
    let s;
    try {
      s = await stat(path);
    } catch (e) {
      throw bad(
        `cannot read ${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`,
        { file: path },
      );
    }
    if (s.isDirectory()) {
      if (o.range) throw bad(`${path} is a folder; only a file can be read by byte range`, { file: path });
      return openFolder(path);
    }
    if (!s.isFile()) throw bad(`${path} is not a file or folder`, { file: path });
    size = o.range ? o.range.end - o.range.start : s.size;
  }
  let read = 0;
  const source = stdin ? 'stdin' : path;
  const textField = o.textField ?? 'text';
  let format: 'jsonl' | 'text' | undefined = stdin ? undefined : formatByName(path);
  let ids: IdRule | undefined = o.ids ?? (o.idField !== undefined ? { field: o.idField } : undefined);
  let decidedAt = 0;

  async function* documents(): AsyncGenerator<IndexDocument> {
    // Opened when reading starts: a stream read (or a readline emitting) before its consumer
    // iterates loses those lines.
    const input = stdin
      ? process.stdin
      : createReadStream(path, o.range ? { start: o.range.start, end: o.range.end - 1 } : {});
    input.on('data', (chunk: Buffer | string) => (read += chunk.length));
    const lines = createInterface({ input, crlfDelay: Infinity });
    let line = (o.range?.firstLine ?? 1) - 1;
    try {
      for await (const raw of lines) {
        line++;
        if (!raw.trim()) continue;
        format ??= corpusFormat(undefined, raw);
        if (format === 'text') {
          yield { id: String(line), text: raw, seq: line };
          continue;
        }
        if (ids === undefined) {
          // The first record decides: ids from "id" for every record, or line numbers for all.
          const first = parseRecord(raw, { text: textField, id: 'id', idRequired: false });
          ids = 'id' in first && first.id !== undefined ? { field: 'id' } : 'lines';
          decidedAt = line;
        }
        let r = parseRecord(raw, {
          text: textField,
          id: ids === 'lines' ? 'id' : ids.field,
          idRequired: ids !== 'lines',
        });
        if (ids === 'lines' && !('problem' in r) && r.id !== undefined)
          r = {
            problem:
              `has an "id" but ${decidedAt ? `line ${decidedAt}` : 'the first record'} has none: give ` +
              `every record an id, or none (ids are then line numbers)`,
          };
        if ('problem' in r) {
          if (!o.skipInvalid) throw bad(`${source}:${line}: ${r.problem}`, { file: source, line });
          o.onSkip?.({ line, message: r.problem });
          continue;
        }
        yield {
          id: r.id === undefined ? String(line) : String(r.id),
          text: r.text,
          seq: line,
          ...(Object.keys(r.rest).length ? { metadata: r.rest } : {}),
        };
      }
    } finally {
      lines.close();
      if (!stdin) (input as ReturnType<typeof createReadStream>).destroy();
    }
  }

  return {
    documents: documents(),
    size,
    bytesRead: () => read,
    get format() {
      return format ?? 'text';
    },
  };
}
