import { TesseraError } from '@tessera/core';
import { intOption, MODEL_OPTIONS, parse, printHelp } from '../args.js';
import { UsageError } from '../errors.js';
import { openModel } from '../open-model.js';
import { clip, table } from '../table.js';

export const searchHelp = `Usage: tessera search --index DIR "query" [--top-k N] [--where SQL] [--exact] [--json]

Encodes the query with the model the index was built with and prints the best
documents with their MaxSim scores. The candidates come from the compressed index
(tessera index builds it) while it matches the documents; their stored rows are then
rescored exactly, so the scores are exact MaxSim. --exact scores every document.

Options:
      --index DIR         the index folder (from \`tessera index\`)
  -k, --top-k N           results (default 10)
      --where SQL         only documents this LanceDB SQL filter selects, before scoring; metadata
                          (the input's other JSONL fields; a file's path) is JSON:
                          "json_get_string(metadata, 'lang') = 'en'", "id LIKE 'faq-%'"
      --exact             scan every document (the ground truth) instead of the compressed index
      --ncells N  --ndocs N  --centroid-score-threshold X
                          the compressed index's knobs (defaults by top-k: colbert-ai's,
                          with ncells 6 up to k = 10 and 8 beyond)
      --json              one JSON object: {query, results: [{rank, id, score, text?, metadata?}],
                          path: "index" | "exact", took_ms, note?, scores?}
                          (scores: "decompressed" from a --no-vectors index)
  -b, --backend NAME  -d, --device DEV  --threads N  --strict  --offline
                          (--threads: the engine's and the index stages' threads; default the cores)

Examples:
  tessera search --index ./my-index "what is late interaction?"
  tessera search --index ./my-index --top-k 3 --json "capital of france"
  tessera search --index ./my-index --where "json_get_int(metadata, 'year') >= 2020" "late interaction"`;

export async function searchCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse('search', argv, {
    ...MODEL_OPTIONS,
    index: { type: 'string' },
    'top-k': { type: 'string', short: 'k' },
    exact: { type: 'boolean' },
    ncells: { type: 'string' },
    ndocs: { type: 'string' },
    'centroid-score-threshold': { type: 'string' },
    where: { type: 'string' },
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
  const threshold = values['centroid-score-threshold'];
  if (threshold !== undefined && !Number.isFinite(Number(threshold)))
    throw new UsageError(`--centroid-score-threshold must be a number (got ${JSON.stringify(threshold)})`);
  const knobs = {
    ...(values.ncells !== undefined ? { ncells: intOption(values, 'ncells')! } : {}),
    ...(values.ndocs !== undefined ? { ndocs: intOption(values, 'ndocs')! } : {}),
    ...(threshold !== undefined ? { centroidScoreThreshold: Number(threshold) } : {}),
  };
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
      const where = values.where;
      const report = await t.searchReport(store, positionals[0]!, {
        topK,
        exact: !!values.exact,
        knobs,
        ...(where !== undefined ? { where: String(where) } : {}),
        // --threads bounds the index's stages as it bounds the engine.
        ...(values.threads !== undefined ? { threads: intOption(values, 'threads')! } : {}),
      });
      const { results } = report;
      if (values.json) {
        process.stdout.write(
          `${JSON.stringify({
            query: positionals[0],
            results: results.map((r, i) => ({ rank: i + 1, ...r })),
            path: report.path,
            took_ms: Math.round(report.tookMs * 100) / 100,
            ...(report.note ? { note: report.note } : {}),
            ...(report.scores ? { scores: report.scores } : {}),
          })}\n`,
        );
      } else {
        if (!values.quiet)
          process.stderr.write(
            `${report.path === 'index' ? 'through the compressed index' : 'exact scan'} in ${report.tookMs.toFixed(1)} ms` +
              `${report.note ? ` (${report.note})` : ''}\n`,
          );
        if (!results.length && !values.quiet)
          process.stderr.write(`no documents${where !== undefined ? ' match the filter' : ' in the index'}\n`);
        process.stdout.write(
          table(
            ['#', 'score', 'id', 'text'],
            results.map((r, i) => [
              String(i + 1),
              r.score.toFixed(4),
              r.passage ? `${r.id} (passage ${r.passage.index + 1} of ${r.passage.of})` : r.id,
              r.text === undefined ? '' : clip(r.passage ? r.text.slice(r.passage.start, r.passage.end) : r.text),
            ]),
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
