import { readFile } from 'node:fs/promises';
import { corpusFormat } from '@tessera/core';
import { parseRecord } from '@tessera/core/store';
import { UsageError } from './errors.js';

export interface InputText {
  text: string;
  id?: string | number;
  /** 1-based line in the input file, for messages. */
  line?: number;
}

export interface InputProblem {
  line: number;
  message: string;
}

/**
 * Parses input lines: JSONL (a "text" string and an optional "id") or one text per line, decided
 * by core's corpusFormat, the rule `tessera index` reads a corpus by. Blank lines are skipped.
 */
export function parseLines(
  content: string,
  source: string,
  forceJsonl = false,
): { items: InputText[]; problems: InputProblem[] } {
  const lines = content.split(/\r?\n/);
  const first = lines.find((l) => l.trim()) ?? '';
  const jsonl = forceJsonl || corpusFormat(source === 'stdin' ? undefined : source, first) === 'jsonl';
  const items: InputText[] = [];
  const problems: InputProblem[] = [];
  lines.forEach((raw, i) => {
    const line = i + 1;
    if (!raw.trim()) return;
    if (!jsonl) {
      items.push({ text: raw, line });
      return;
    }
    const r = parseRecord(raw, { text: 'text', id: 'id', idRequired: false });
    if ('problem' in r) problems.push({ line, message: r.problem });
    else items.push({ text: r.text, ...(r.id !== undefined ? { id: r.id } : {}), line });
  });
  return { items, problems };
}

export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Texts from arguments, --input FILE ('-' for stdin) or piped stdin. */
export async function readInputs(
  positionals: string[],
  input: string | undefined,
  skipInvalid: boolean,
  onSkip: (p: InputProblem) => void,
): Promise<InputText[]> {
  if (positionals.length && input) throw new UsageError('give texts as arguments or --input, not both');
  if (positionals.length) return positionals.map((text) => ({ text }));
  let content: string;
  let source: string;
  if (input && input !== '-') {
    try {
      content = await readFile(input, 'utf8');
    } catch (e) {
      throw new UsageError(
        `cannot read --input ${input}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`,
      );
    }
    source = input;
  } else if (input === '-' || !process.stdin.isTTY) {
    content = await readStdin();
    source = 'stdin';
  } else {
    throw new UsageError(
      'no input: give texts as arguments, --input FILE, or pipe them on stdin',
      'see `tessera encode --help`',
    );
  }
  const { items, problems } = parseLines(content, source);
  if (problems.length && !skipInvalid) {
    const p = problems[0]!;
    throw new UsageError(
      `${source}:${p.line}: ${p.message}${problems.length > 1 ? ` (and ${problems.length - 1} more bad lines)` : ''}`,
      'fix the line, or pass --skip-invalid to skip bad lines',
    );
  }
  problems.forEach(onSkip);
  if (!items.length) throw new UsageError(`${source} holds no texts`);
  return items;
}
