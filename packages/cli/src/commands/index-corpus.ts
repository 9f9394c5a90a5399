import { resolve } from 'node:path';
import {
  TesseraError,
  openCorpus,
  type IndexProgress,
  type IndexSummary,
  type LateIndexOptions,
  type LateIndexSummary,
} from '@tessera/core';
import { buildLateIndex } from '@tessera/core/store';
import { intOption, MODEL_OPTIONS, parse, printHelp } from '../args.js';
import { UsageError } from '../errors.js';
import { openModel } from '../open-model.js';
import { ProgressBar } from '../progress.js';
import { queuedIndex, queuedStatus } from './index-queued.js';
import { buildOptions, buildWithProgress, codecOptions, describeSearchIndex } from './search-index-build.js';
import { passageSetting } from './passage-setting.js';

export const indexHelp = `Usage: tessera index --input PATH --to DIR [--model M] [options]

Encodes a corpus into an index folder (embedded LanceDB) for \`tessera search\`:
a folder of text files, or a JSONL / text file streamed line by line. Resumable:
rerun the same command after Ctrl-C, a crash or kill -9 and it continues where it
stopped; every id ends up in the index once, and the last line with an id wins.

Options:
  -m, --model M           the model (default: the one the index was built with)
  -b, --backend NAME  -d, --device DEV  --threads N  --dtype D  --dim N  --strict  --offline
  -i, --input PATH        the corpus: a folder of text files (.txt, .md, .rst: one
                          document each, ids are paths), a .jsonl or .txt file, or - for stdin
      --to DIR            the index folder (created; an existing index is continued)
      --text-field F      JSONL field with the text (default "text")
      --id-field F        JSONL field with the id (default "id" when the first record
                          has one, else line numbers); the other fields are kept as metadata
      --keep-text         store each text beside its vectors (search then prints it)
      --skip-invalid      skip bad lines (counted) instead of stopping at the first
      --window N          documents encoded together and written as one commit (default 512)
      --passage-tokens N  a text longer than the model's document is split into passages
                          of N tokens (default: all the document length leaves for text),
                          ending at paragraph or sentence breaks where one is near; a
                          document scores as its best passage and search names it
      --overlap N         tokens a passage repeats from the one before (default N/8)
      --no-split          encode every text whole, cut at the document length (counted)
      --nbits N           bits per residual value in the compressed search index: 1, 2
                          (default) or 4
      --centroids N       its centroid count (default 2^floor(log2(16 sqrt(token rows))))
      --pool-factor N     pool each document's rows about N to 1 in the compressed index
                          (PyLate's hierarchical pooling; the stored rows stay whole, so
                          scores stay exact); default 1, none
      --no-search-index   skip the compressed index (search then scans every document)
      --no-vectors        keep only the compressed index, not the float rows (for corpora
                          whose rows would not fit the disk): the first documents train
                          its centroids, every document is stored as codes, and search
                          scores rows decoded from them (marked so in its output). Chosen
                          when the index is made; --nbits and --centroids then shape it
      --train-documents N documents encoded before training (default PLAID's sample of
                          the corpus, estimated from its size, else 4096). With --queue
                          the producer trains it before queueing; workers write codes
      --rebuild           retrain the compressed index on the whole corpus: at the end
                          of this run, or with --to and no --input, now. Without it a
                          run into an existing index encodes only the new and changed
                          documents against its centroids (the summary says when the
                          corpus has grown enough that a rebuild pays)
      --ann               build LanceDB's approximate (IVF-PQ) index instead, which search
                          uses only where there is no compressed index
      --json              print the summary as JSON on stdout
  -q, --quiet             no progress bar or summary on stderr

Several machines (a BullMQ queue on Redis; see \`tessera worker --help\`):
      --queue URL         shard the input onto the queue at redis://HOST:PORT instead of
                          encoding here; follows the run until every shard is done
      --shard-size N      lines per shard (default 1000)
      --attempts N        tries per shard before it fails for good (default 3)
      --no-wait           queue the shards and return
      --status            where the latest run into --to stands (with --queue)

Examples:
  tessera index --model answerai-colbert-small-v1 --input ./notes --to ./my-index --keep-text
  tessera index --model answerai-colbert-small-v1 --input /shared/corpus.jsonl --to /shared/index --queue redis://10.0.0.5:6379
  tessera index --model answerai-colbert-small-v1 --input corpus.jsonl --to ./my-index --keep-text
  tessera search --index ./my-index "what is late interaction?"`;

/** A bad corpus (a missing file, a bad line) is the user's input: exit 2 with a hint, as other usage errors. */
async function usage<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (e) {
    if (e instanceof TesseraError && e.code === 'INVALID_INPUT' && e.details.file !== undefined)
      throw new UsageError(
        e.message,
        e.details.line !== undefined
          ? 'fix the line and rerun (what was indexed stays), or pass --skip-invalid to skip bad lines'
          : undefined,
      );
    throw e;
  }
}

const human = (bytes: number) =>
  bytes >= 1e9
    ? `${(bytes / 1e9).toFixed(2)} GB`
    : bytes >= 1e6
      ? `${(bytes / 1e6).toFixed(1)} MB`
      : `${(bytes / 1e3).toFixed(1)} kB`;

export async function indexCommand(argv: string[]): Promise<number> {
  const { values } = parse('index', argv, {
    ...MODEL_OPTIONS,
    input: { type: 'string', short: 'i' },
    to: { type: 'string' },
    'text-field': { type: 'string' },
    'id-field': { type: 'string' },
    'keep-text': { type: 'boolean' },
    'skip-invalid': { type: 'boolean' },
    window: { type: 'string' },
    ann: { type: 'boolean' },
    nbits: { type: 'string' },
    centroids: { type: 'string' },
    'no-search-index': { type: 'boolean' },
    'no-vectors': { type: 'boolean' },
    'train-documents': { type: 'string' },
    'pool-factor': { type: 'string' },
    'passage-tokens': { type: 'string' },
    overlap: { type: 'string' },
    'no-split': { type: 'boolean' },
    rebuild: { type: 'boolean' },
    json: { type: 'boolean' },
    queue: { type: 'string' },
    'shard-size': { type: 'string' },
    attempts: { type: 'string' },
    status: { type: 'boolean' },
    'no-wait': { type: 'boolean' },
  });
  if (values.help) return printHelp(indexHelp);
  if (values.status) {
    if (!values.queue || !values.to)
      throw new UsageError('--status needs --queue and --to (the run that indexes into it)');
    return queuedStatus(values, (m) => values.quiet || process.stderr.write(`${m}\n`));
  }
  const searchIndexOptions = buildOptions(values);
  const quiet = !!values.quiet;
  const say = (m: string) => quiet || process.stderr.write(`${m}\n`);
  if (values.rebuild && !values.input) {
    if (!values.to) throw new UsageError('--rebuild needs --to (the index folder)', 'see `tessera index --help`');
    return rebuildSearchIndex(String(values.to), searchIndexOptions, !!values.json, quiet, say);
  }
  if (!values.input)
    throw new UsageError('--input is required (a .jsonl or .txt corpus, or - for stdin)', 'see `tessera index --help`');
  if (!values.to) throw new UsageError('--to is required (the index folder)', 'see `tessera index --help`');
  const windowSize = intOption(values, 'window');
  const passages = passageSetting(values);
  const trainDocuments = intOption(values, 'train-documents');
  if (values['no-vectors'] && searchIndexOptions.poolFactor !== undefined && searchIndexOptions.poolFactor !== 1)
    throw new UsageError('--pool-factor needs the float rows, which --no-vectors does not keep');
  if (trainDocuments !== undefined && !values['no-vectors'])
    throw new UsageError(
      '--train-documents shapes a --no-vectors index (a float-row index trains on a sample of the whole corpus)',
    );
  if (values.queue) {
    if (values.input === '-')
      throw new UsageError('a queued run reads its input from a file every worker can reach, not stdin');
    if (values.ann)
      throw new UsageError(
        '--ann builds the ANN index when a single-process run ends; run `tessera index --ann` on the finished index instead',
      );
    return queuedIndex(values, say, quiet);
  }
  let skipped = 0;
  const corpus = await usage(
    openCorpus(String(values.input), {
      textField: values['text-field'] as string | undefined,
      idField: values['id-field'] as string | undefined,
      skipInvalid: !!values['skip-invalid'],
      onSkip: (p) => {
        skipped++;
        if (skipped <= 5) say(`skipped line ${p.line}: ${p.message}`);
      },
    }),
  );

  const { openLanceDbStore } = await import('@tessera/store-lancedb');
  const store = await openLanceDbStore(String(values.to));
  let summary: IndexSummary;
  let searchIndex: LateIndexSummary | undefined;
  try {
    const manifest = await store.readManifest();
    if (!values.model && !manifest)
      throw new UsageError(
        `--model is required for a new index (${store.location} holds none yet)`,
        'see `tessera index --help`',
      );
    const t = await openModel({ ...values, model: values.model ?? manifest!.model });
    try {
      say(
        `indexing ${values.input === '-' ? 'stdin' : values.input} into ${store.location} with ${t.modelRef} ` +
          `(${t.backendName} on ${t.device}, dimension ${t.dimension})`,
      );
      const bar = new ProgressBar(
        'indexing',
        undefined,
        quiet,
        process.stderr,
        'indexing {bar} {percentage}% | {encoded} encoded, {written} written{resumed} | {rate} texts/s | {tokensRate} tokens/s | ETA {eta_formatted}',
      );
      const stop = new AbortController();
      const onSignal = () => {
        if (stop.signal.aborted) process.exit(130);
        bar.done();
        say('stopping after the documents being encoded are written (Ctrl-C again to quit now; rerun to continue)');
        stop.abort();
      };
      process.on('SIGINT', onSignal);
      const started = Date.now();
      let read = 0;
      const show = (p: IndexProgress) => {
        read = p.read;
        const secs = (Date.now() - started) / 1000;
        bar.track(corpus.size ? corpus.bytesRead() / corpus.size : 0, {
          encoded: p.encoded,
          written: p.written,
          resumed: p.alreadyIndexed ? `, ${p.alreadyIndexed} already indexed` : '',
          rate: (p.encoded / Math.max(secs, 1e-3)).toFixed(1),
          tokensRate: (p.tokens / Math.max(secs, 1e-3)).toFixed(0),
        });
      };
      try {
        summary = await usage(
          t.index(store, corpus.documents, {
            source: values.input === '-' ? 'stdin' : resolve(String(values.input)),
            keepText: !!values['keep-text'],
            windowSize,
            passages,
            signal: stop.signal,
            onProgress: show,
            ...(values['no-vectors'] ? { vectors: false } : {}),
            codec: {
              ...codecOptions(values),
              // Documents in the whole input, estimated from the share of its bytes read so far.
              expectedDocuments: () =>
                corpus.size && corpus.bytesRead() > 0
                  ? Math.round((read * corpus.size) / corpus.bytesRead())
                  : undefined,
            },
          }),
        );
      } finally {
        bar.done();
        process.off('SIGINT', onSignal);
      }
      // A compressed-only index's shape was set by its codec (trained in t.index); the index is assembled from its codes.
      const compressedOnly = (await store.readManifest())?.vectors === false;
      if (values.ann && compressedOnly)
        say('--ann skipped: a --no-vectors index has no float rows for LanceDB to index');
      if (values.ann && !summary.stopped && !compressedOnly) {
        say('building the approximate (IVF-PQ) index');
        await store.createAnnIndex();
      }
      if (!values['no-search-index'] && !summary.stopped && summary.total > 0)
        searchIndex = await buildWithProgress(store, compressedOnly ? {} : searchIndexOptions, quiet, say, (st, o) =>
          values.rebuild ? t.buildSearchIndex(st, o) : t.updateSearchIndex(st, o),
        );
    } finally {
      await t.dispose();
    }
  } finally {
    await store.close();
  }
  const size = store.sizeOnDisk();
  const secs = summary.elapsedMs / 1000;
  const out = {
    ...summary,
    skippedLines: skipped,
    index: store.location,
    sizeBytes: size,
    docsPerSec: Number((summary.encoded / Math.max(secs, 1e-3)).toFixed(2)),
    ...(searchIndex ? { searchIndex } : {}),
  };
  if (values.json) process.stdout.write(`${JSON.stringify(out)}\n`);
  say(
    [
      summary.stopped
        ? `stopped: ${summary.written} documents written this run; rerun the same command to continue`
        : `done: ${summary.written} documents written`,
      `${summary.total} in the index (${human(size)} on disk)`,
      summary.alreadyIndexed ? `${summary.alreadyIndexed} already indexed` : '',
      summary.duplicates
        ? `${summary.duplicates} duplicate ids, the last line of each kept ` +
          `(${summary.duplicateIds.slice(0, 5).join(', ')}${summary.duplicateIds.length > 5 ? ', ...' : ''})`
        : '',
      summary.replaced ? `${summary.replaced} replaced documents from another input` : '',
      summary.split ? `${summary.split} long documents split, ${summary.passages} passages in all` : '',
      summary.cut
        ? `${summary.cut} ${values['no-split'] ? 'documents' : 'passages'} cut at the model's document length` +
          (values['no-split']
            ? ' (drop --no-split to index them whole as passages)'
            : ' (a single word longer than a passage)')
        : '',
      skipped ? `${skipped} bad lines skipped` : '',
      `${summary.tokens} tokens in ${secs.toFixed(1)} s (${out.docsPerSec} docs/s)`,
      searchIndex ? describeSearchIndex(searchIndex) : '',
    ]
      .filter(Boolean)
      .join('; '),
  );
  return summary.stopped ? 130 : 0;
}

/** `tessera index --rebuild --to DIR`: the compressed index of an index that exists. */
async function rebuildSearchIndex(
  dir: string,
  options: LateIndexOptions,
  json: boolean,
  quiet: boolean,
  say: (m: string) => void,
): Promise<number> {
  const { openLanceDbStore } = await import('@tessera/store-lancedb');
  const store = await openLanceDbStore(dir);
  try {
    if (!(await store.readManifest()))
      throw new TesseraError(
        'NOT_AN_INDEX',
        `${store.location} is not a Tessera index; build one with \`tessera index\``,
        {
          location: store.location,
        },
      );
    const s = await buildWithProgress(store, options, quiet, say, buildLateIndex);
    if (json) process.stdout.write(`${JSON.stringify(s)}\n`);
    say(describeSearchIndex(s));
  } finally {
    await store.close();
  }
  return 0;
}
