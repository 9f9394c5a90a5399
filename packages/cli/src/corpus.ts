import { createReadStream } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, join, relative, sep } from 'node:path';
import { createInterface } from 'node:readline';
import type { IndexDocument } from '@tessera/core';
import { UsageError } from './errors.js';
import { parseRecord, type InputProblem } from './input.js';

export interface CorpusOptions {
  /** JSONL field with the text (default "text"). */
  textField?: string;
  /** JSONL field with the id; given, every record needs it. Default: "id" if the first record has one, else line numbers. */
  idField?: string;
  /** Skip bad lines (reported through onSkip) instead of stopping at the first. */
  skipInvalid?: boolean;
  onSkip?: (p: InputProblem) => void;
}

/** A corpus file read line by line: its documents, and how far through the file the reader is. */
export interface Corpus {
  documents: AsyncIterable<IndexDocument>;
  /** Bytes of the file (undefined for stdin) and bytes read so far. */
  size: number | undefined;
  bytesRead: () => number;
  format: 'jsonl' | 'text' | 'folder';
}

/** Files a folder corpus reads, one document each. */
export const TEXT_EXTENSIONS = ['.txt', '.md', '.markdown', '.rst', '.text'];

/** Text files under a folder, sorted (so that a rerun sees them in the same order). */
async function textFiles(dir: string): Promise<Array<{ path: string; size: number }>> {
  const out: Array<{ path: string; size: number }> = [];
  const walk = async (d: string) => {
    const entries = await readdir(d, { withFileTypes: true });
    for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      if (e.name.startsWith('.')) continue;
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile() && TEXT_EXTENSIONS.includes(extname(e.name).toLowerCase())) out.push({ path: p, size: (await stat(p)).size });
    }
  };
  await walk(dir);
  return out;
}

/** A folder: each text file is a document, its id the path inside the folder. */
async function openFolder(dir: string): Promise<Corpus> {
  const files = await textFiles(dir);
  if (!files.length) throw new UsageError(`--input ${dir} holds no text files (${TEXT_EXTENSIONS.join(', ')})`);
  let read = 0;
  async function* documents(): AsyncGenerator<IndexDocument> {
    for (const [i, f] of files.entries()) {
      let text: string;
      try {
        text = await readFile(f.path, 'utf8');
      } catch (e) {
        throw new UsageError(`cannot read ${f.path}: ${(e as Error).message}`);
      }
      read += f.size;
      const id = relative(dir, f.path).split(sep).join('/');
      yield { id, text, seq: i, metadata: { path: id } };
    }
  }
  return { documents: documents(), size: files.reduce((s, f) => s + f.size, 0), bytesRead: () => read, format: 'folder' };
}

/**
 * Streams a corpus: a folder of text files (each a document, its id the path in the folder),
 * JSONL (one object per line; .jsonl / .ndjson, or a first line that starts with "{"), or plain
 * text (one document per line, ids are line numbers). Holds one line or file at a time; blank
 * lines are skipped; seq is the line (or file) number, so a rerun resumes where it stopped.
 */
export async function openCorpus(path: string, o: CorpusOptions = {}): Promise<Corpus> {
  const stdin = path === '-';
  let size: number | undefined;
  if (!stdin) {
    try {
      const s = await stat(path);
      if (s.isDirectory()) return openFolder(path);
      if (!s.isFile()) throw new UsageError(`--input ${path} is not a file or folder`);
      size = s.size;
    } catch (e) {
      if (e instanceof UsageError) throw e;
      throw new UsageError(`cannot read --input ${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
    }
  }
  const byName = /\.(jsonl|ndjson)$/i.test(path) ? 'jsonl' : /\.txt$/i.test(path) ? 'text' : undefined;
  let read = 0;
  const source = stdin ? 'stdin' : path;
  const textField = o.textField ?? 'text';
  let format: 'jsonl' | 'text' | undefined = byName;
  let idField = o.idField;
  let idRequired = o.idField !== undefined;
  let lineIds = false;
  let firstLine = 0;

  async function* documents(): AsyncGenerator<IndexDocument> {
    // Opened when reading starts: a stream read (or a readline emitting) before its consumer
    // iterates loses those lines.
    const input = stdin ? process.stdin : createReadStream(path);
    input.on('data', (chunk: Buffer | string) => (read += chunk.length));
    const lines = createInterface({ input, crlfDelay: Infinity });
    let line = 0;
    try {
      for await (const raw of lines) {
        line++;
        if (!raw.trim()) continue;
        format ??= raw.trimStart().startsWith('{') ? 'jsonl' : 'text';
        if (format === 'text') {
          yield { id: String(line), text: raw, seq: line };
          continue;
        }
        if (idField === undefined) {
          // The first record decides: ids from "id" for every record, or line numbers for all.
          const first = parseRecord(raw, { text: textField, id: 'id', idRequired: false });
          idField = 'id';
          idRequired = 'id' in first && first.id !== undefined;
          lineIds = !idRequired;
          firstLine = line;
        }
        let r = parseRecord(raw, { text: textField, id: idField, idRequired });
        if (lineIds && !('problem' in r) && r.id !== undefined) r = { problem: `has an "id" but line ${firstLine} has none: give every record an id, or none (ids are then line numbers)` };
        if ('problem' in r) {
          const problem = { line, message: r.problem };
          if (!o.skipInvalid) throw new UsageError(`${source}:${line}: ${r.problem}`, 'fix the line and rerun (what was indexed stays), or pass --skip-invalid to skip bad lines');
          o.onSkip?.(problem);
          continue;
        }
        yield { id: r.id === undefined ? String(line) : String(r.id), text: r.text, seq: line, ...(Object.keys(r.rest).length ? { metadata: r.rest } : {}) };
      }
    } finally {
      lines.close();
      if (!stdin) (input as ReturnType<typeof createReadStream>).destroy();
    }
  }

  return { documents: documents(), size, bytesRead: () => read, get format() { return format ?? 'text'; } };
}
