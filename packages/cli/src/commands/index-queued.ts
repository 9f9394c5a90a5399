import { buildLateIndex } from '@tessera/core/store';
import type { RunStatus } from '@tessera/queue';
import { intOption } from '../args.js';
import { openModel } from '../open-model.js';
import { ProgressBar } from '../progress.js';
import { buildOptions, buildWithProgress, codecOptions, describeSearchIndex } from './search-index-build.js';
import { passageSetting } from './passage-setting.js';

/** One line of a run's state. */
function describe(s: RunStatus): string {
  const secs = ((s.lastDoneAt ?? Date.now()) - s.startedAt) / 1000;
  const rate = s.written / Math.max(secs, 1e-3);
  return (
    `run ${s.run}: ${s.done}/${s.shards} shards done, ${s.failed} failed, ${s.active} running, ` +
    `${s.waiting} waiting; ${s.written} of ${s.lines} documents written (${rate.toFixed(1)} docs/s across ` +
    `workers)${s.duplicates ? `; ${s.duplicates} earlier duplicate lines skipped` : ''}${s.skippedLines ? `; ${s.skippedLines} bad lines skipped` : ''}` +
    `${s.split ? `; ${s.split} long documents split into passages` : ''}${s.cut ? `; ${s.cut} passages cut at the document length` : ''}`
  );
}

function failures(s: RunStatus, say: (m: string) => void): void {
  for (const f of s.failures.slice(0, 10)) say(`  failed ${f.shard} after ${f.attempts} attempt(s): ${f.error}`);
  if (s.failures.length > 10) say(`  ... and ${s.failures.length - 10} more`);
}

/** `tessera index --queue URL --status`: where the latest run into --to stands. */
export async function queuedStatus(values: Record<string, unknown>, say: (m: string) => void): Promise<number> {
  const { runStatus } = await import('@tessera/queue');
  const s = await runStatus(String(values.queue), { to: String(values.to) });
  if (values.json) process.stdout.write(`${JSON.stringify(s)}\n`);
  say(describe(s));
  failures(s, say);
  return s.failed ? 1 : 0;
}

/**
 * `tessera index --queue URL`: shards the input onto the queue and follows the run until every
 * shard is done or failed (Ctrl-C stops following; the workers go on).
 */
export async function queuedIndex(
  values: Record<string, unknown>,
  say: (m: string) => void,
  quiet: boolean,
): Promise<number> {
  const { enqueueIndex, runStatus } = await import('@tessera/queue');
  const passages = passageSetting(values);
  const t = await openModel({ ...values, device: 'cpu' });
  let info;
  try {
    info = await enqueueIndex(t, {
      queue: String(values.queue),
      input: String(values.input),
      to: String(values.to),
      shardSize: intOption(values, 'shard-size'),
      textField: values['text-field'] as string | undefined,
      idField: values['id-field'] as string | undefined,
      keepText: !!values['keep-text'],
      skipInvalid: !!values['skip-invalid'],
      attempts: intOption(values, 'attempts'),
      ...(passages !== undefined ? { passages } : {}),
      ...(values['no-vectors'] ? { vectors: false } : {}),
      codec: codecOptions(values),
    });
  } finally {
    await t.dispose();
  }
  say(
    `run ${info.run}: ${info.shards} shards of ${info.lines} documents on ${values.queue} (${info.added} ` +
      `queued ` +
      `now${info.retried ? `, ${info.retried} failed shards sent back` : ''}` +
      `${info.duplicates ? `; ${info.duplicates} earlier duplicate lines will be skipped: ${info.duplicateIds.slice(0, 5).join(', ')}` : ''}); ` +
      `start workers with \`tessera worker --queue ${values.queue}\``,
  );
  if (values['no-wait']) return 0;
  const bar = new ProgressBar(
    'indexing',
    undefined,
    quiet,
    process.stderr,
    'indexing {bar} {percentage}% | {done}/{shards} shards, {failed} failed | {written} written | {rate} docs/s | ETA {eta_formatted}',
  );
  let following = true;
  const stop = () => {
    following = false;
  };
  process.once('SIGINT', stop);
  let s: RunStatus;
  try {
    for (;;) {
      s = await runStatus(String(values.queue), { run: info.run });
      const secs = (Date.now() - s.startedAt) / 1000;
      bar.track((s.written + s.inFlight) / Math.max(1, s.lines - s.duplicates), {
        done: s.done,
        shards: s.shards,
        failed: s.failed,
        written: s.written,
        rate: (s.written / Math.max(secs, 1e-3)).toFixed(1),
      });
      if (s.done + s.failed >= s.shards || !following) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
  } finally {
    bar.done();
    process.off('SIGINT', stop);
  }
  if (s.done >= s.shards && !s.failed) {
    // The run is complete: compact the many small commits its shards made.
    const { openLanceDbStore } = await import('@tessera/store-lancedb');
    const store = await openLanceDbStore(s.to);
    try {
      await store.optimize();
      if (!values['no-search-index'])
        say(
          describeSearchIndex(
            await buildWithProgress(
              store,
              // A compressed-only index keeps the shape its codec was trained with.
              (await store.readManifest())?.vectors === false ? {} : buildOptions(values),
              quiet,
              say,
              values.rebuild ? buildLateIndex : undefined,
            ),
          ),
        );
    } finally {
      await store.close();
    }
  }
  if (values.json) process.stdout.write(`${JSON.stringify(s)}\n`);
  say(describe(s));
  failures(s, say);
  if (!following)
    say('stopped following; the workers go on (`tessera index --queue ... --to ... --status` shows where the run is)');
  return s.failed ? 1 : 0;
}
