import { TesseraError, defaultModel, maxSimMany } from '@tessera/core';
import { MODEL_OPTIONS, parse, printHelp } from '../args.js';
import { openModel } from '../open-model.js';
import { clip, table } from '../table.js';

export const demoHelp = `Usage: tessera demo [--model M] [--backend B] [--device D]

Encode a few queries and documents on the default model (${defaultModel().id}, from the
Hugging Face hub) and print their MaxSim scores. Where the hub cannot be reached, it says
so and runs on the bundled test checkpoint instead (random weights: the scores then only
show that the pipeline works).`;

const QUERIES = ['what is late interaction retrieval?', 'who wrote the iliad?', 'capital of france'];
const DOCUMENTS = [
  'ColBERT encodes queries and documents into token embeddings and scores them with MaxSim.',
  'The Iliad is an ancient Greek epic poem attributed to Homer.',
  'Paris is the capital and most populous city of France.',
  'Pandas are bears native to south central China.',
];

async function bundledCheckpoint(): Promise<string | undefined> {
  try {
    const mod = (await import('@tessera/fixtures' as string)) as { fixtures: { pylate: string } };
    return mod.fixtures.pylate;
  } catch {
    return undefined;
  }
}

export async function demoCommand(argv: string[]): Promise<number> {
  const { values } = parse('demo', argv, MODEL_OPTIONS);
  if (values.help) return printHelp(demoHelp);
  const model = (values.model as string | undefined) ?? defaultModel().id;
  let t;
  let source = model;
  try {
    t = await openModel({ ...values, model });
  } catch (e) {
    const unreachable =
      e instanceof TesseraError && (e.code === 'HUB_ERROR' || e.code === 'OFFLINE') && values.model === undefined;
    const fallback = unreachable ? await bundledCheckpoint() : undefined;
    if (!fallback) throw e;
    process.stderr.write(
      `The Hugging Face hub cannot be reached (${(e as Error).message}).\nRunning on the bundled test ` +
        `checkpoint instead: its weights are random, so the scores only show that the pipeline works.\n\n`,
    );
    t = await openModel({ ...values, model: fallback });
    source = `bundled test checkpoint (${fallback})`;
  }
  try {
    const started = Date.now();
    const qs = await t.encodeQueries(QUERIES);
    const ds = await t.encodeDocuments(DOCUMENTS);
    const ms = Date.now() - started;
    process.stdout.write(`model: ${source}\nbackend: ${t.backendName} on ${t.device} (${t.engine})\n`);
    process.stdout.write(
      `encoded ${QUERIES.length} queries (${qs[0]!.rows} x ${qs[0]!.dim}) and ${DOCUMENTS.length} documents in ${ms} ms\n\n`,
    );
    const rows: string[][] = [];
    qs.forEach((q, i) => {
      const scores = maxSimMany(q, ds);
      let best = 0;
      scores.forEach((s, j) => (best = s > scores[best]! ? j : best));
      rows.push([
        clip(QUERIES[i]!, 36),
        ...Array.from(scores, (s, j) => (j === best ? `*${s.toFixed(2)}` : s.toFixed(2))),
      ]);
    });
    process.stdout.write(table(['query \\ document', ...DOCUMENTS.map((_, j) => `doc${j}`)], rows));
    process.stdout.write(
      `\n${DOCUMENTS.map((d, j) => `doc${j}: ${clip(d, 80)}`).join('\n')}\n(* best document for each query)\n`,
    );
    return 0;
  } finally {
    await t.dispose();
  }
}
