import { TesseraError } from '@tessera/core';
import { intOption, MODEL_OPTIONS, parse, printHelp } from '../args.js';
import { UsageError } from '../errors.js';
import { openModel } from '../open-model.js';
import { clip, table } from '../table.js';

export const searchHelp = `Usage: tessera search --index DIR "query" [--top-k N] [--json]

Encodes the query with the model the index was built with and prints the best
documents with their MaxSim scores (exact unless the index has an ANN index).

Options:
      --index DIR         the index folder (from \`tessera index\`)
  -k, --top-k N           results (default 10)
      --json              one JSON object: {query, results: [{rank, id, score, text?, metadata?}]}
  -b, --backend NAME  -d, --device DEV  --threads N  --strict  --offline

Examples:
  tessera search --index ./my-index "what is late interaction?"
  tessera search --index ./my-index --top-k 3 --json "capital of france"`;

export async function searchCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse('search', argv, {
    ...MODEL_OPTIONS,
    index: { type: 'string' },
    'top-k': { type: 'string', short: 'k' },
    json: { type: 'boolean' },
  });
  if (values.help) return printHelp(searchHelp);
  if (!values.index)
    throw new UsageError('--index is required (a folder built by `tessera index`)', 'see `tessera search --help`');
  if (positionals.length !== 1)
    throw new UsageError(
      positionals.length
        ? `give one query (got ${positionals.length} arguments; quote the query)`
        : 'give the query as an argument',
      'see `tessera search --help`',
    );
  if (values.model || values.dim)
    throw new UsageError('search uses the model and dimension the index was built with; drop --model and --dim');
  const topK = intOption(values, 'top-k') ?? 10;
  const { openLanceDbStore } = await import('@tessera/store-lancedb');
  const store = await openLanceDbStore(String(values.index));
  try {
    const manifest = await store.readManifest();
    if (!manifest)
      throw new TesseraError(
        'NOT_AN_INDEX',
        `${store.location} is not a Tessera index (no tessera-index.json); build one with \`tessera index\``,
        { location: store.location },
      );
    let t;
    try {
      t = await openModel({ ...values, model: manifest.model, dim: String(manifest.dimension) });
    } catch (e) {
      if (e instanceof TesseraError && e.code === 'MODEL_NOT_FOUND')
        throw new TesseraError(
          'MODEL_NOT_FOUND',
          `the index at ${store.location} was built with ${manifest.model}, which cannot be opened: ${e.message}`,
          e.details,
          { cause: e },
        );
      throw e;
    }
    try {
      const results = await t.search(store, positionals[0]!, { topK });
      if (values.json) {
        process.stdout.write(
          `${JSON.stringify({ query: positionals[0], results: results.map((r, i) => ({ rank: i + 1, ...r })) })}\n`,
        );
      } else {
        process.stdout.write(
          table(
            ['#', 'score', 'id', 'text'],
            results.map((r, i) => [String(i + 1), r.score.toFixed(4), r.id, r.text === undefined ? '' : clip(r.text)]),
          ),
        );
      }
    } finally {
      await t.dispose();
    }
  } finally {
    await store.close();
  }
  return 0;
}
