import { maxSimMany } from '@tessera/core';
import { intOption, MODEL_OPTIONS, parse, printHelp } from '../args.js';
import { UsageError } from '../errors.js';
import { readInputs } from '../input.js';
import { openModel } from '../open-model.js';
import { clip, table } from '../table.js';

export const scoreHelp = `Usage: tessera score --query TEXT DOC... [options]

MaxSim score of one query against each document, in the order given.

Options:
      --query TEXT   the query (required)
      --json         print JSON instead of a table
  -m, --model -b, --backend -d, --device --dim --threads --offline --quiet --debug

Example:
  tessera score --query "capital of france" "Paris is the capital of France." "Berlin is in Germany."`;

export const rerankHelp = `Usage: tessera rerank --query TEXT --input docs.jsonl [--top-k K] [options]

Encode the documents and rank them by MaxSim against the query.

Options:
      --query TEXT    the query (required)
  -i, --input FILE    documents: JSONL with "text" (and "id"), or one per line
  -k, --top-k K       how many to print (default 10)
      --json          print JSON instead of a table
      --skip-invalid  skip bad input lines
  -m, --model -b, --backend -d, --device --dim --threads --offline --quiet --debug

Example:
  tessera rerank --query "who wrote the iliad" --input corpus.jsonl --top-k 3`;

export async function scoreCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse('score', argv, {
    ...MODEL_OPTIONS,
    query: { type: 'string' },
    json: { type: 'boolean' },
  });
  if (values.help) return printHelp(scoreHelp);
  const query = values.query as string | undefined;
  if (query === undefined) throw new UsageError('--query is required', 'see `tessera score --help`');
  if (!positionals.length)
    throw new UsageError('give at least one document after the options', 'see `tessera score --help`');
  const t = await openModel(values);
  try {
    if (t.kind === 'dense') throw new UsageError('score needs a ColBERT model; this is a dense model');
    const [q] = await t.encodeQueries([query]);
    const docs = await t.encodeDocuments(positionals);
    const scores = maxSimMany(q!, docs);
    if (values.json)
      process.stdout.write(
        `${JSON.stringify({ query, scores: positionals.map((text, i) => ({ index: i, score: scores[i], text })) })}\n`,
      );
    else
      process.stdout.write(
        table(
          ['#', 'score', 'document'],
          positionals.map((d, i) => [String(i), scores[i]!.toFixed(4), clip(d)]),
        ),
      );
    return 0;
  } finally {
    await t.dispose();
  }
}

export async function rerankCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse('rerank', argv, {
    ...MODEL_OPTIONS,
    query: { type: 'string' },
    input: { type: 'string', short: 'i' },
    'top-k': { type: 'string', short: 'k' },
    json: { type: 'boolean' },
    'skip-invalid': { type: 'boolean' },
  });
  if (values.help) return printHelp(rerankHelp);
  const query = values.query as string | undefined;
  if (query === undefined) throw new UsageError('--query is required', 'see `tessera rerank --help`');
  const k = intOption(values, 'top-k') ?? 10;
  const quiet = !!values.quiet;
  const docs = await readInputs(positionals, values.input as string | undefined, !!values['skip-invalid'], (p) => {
    if (!quiet) process.stderr.write(`skipped line ${p.line}: ${p.message}\n`);
  });
  const t = await openModel(values);
  try {
    if (t.kind === 'dense') throw new UsageError('rerank needs a ColBERT model; this is a dense model');
    const [q] = await t.encodeQueries([query]);
    const embedded = await t.encodeDocuments(docs.map((d) => d.text));
    // The fast path: the engine's GEMM when the backend scores, else core's packed kernel.
    const scorer = await t.scorer(embedded);
    const ranked = await scorer.topK(q!, k).finally(() => scorer.dispose());
    if (values.json) {
      process.stdout.write(
        `${JSON.stringify({
          query,
          results: ranked.map((r, rank) => {
            const doc = docs[r.index]!;
            return {
              rank: rank + 1,
              index: r.index,
              ...(doc.id !== undefined ? { id: doc.id } : {}),
              score: r.score,
              text: doc.text,
            };
          }),
        })}\n`,
      );
    } else {
      process.stdout.write(
        table(
          ['rank', 'score', 'id', 'document'],
          ranked.map((r, i) => [
            String(i + 1),
            r.score.toFixed(4),
            String(docs[r.index]!.id ?? r.index),
            clip(docs[r.index]!.text),
          ]),
        ),
      );
    }
    return 0;
  } finally {
    await t.dispose();
  }
}
