import { intOption, parse, printHelp } from '../args.js';
import { UsageError } from '../errors.js';

export const workerHelp = `Usage: tessera worker --queue redis://HOST:PORT [--device cpu|cuda:N|all] [options]

Takes shards of \`tessera index --queue\` runs from the queue, encodes them and writes
the vectors straight to each run's index (the input file and the index folder must
be reachable at the same paths from every worker: a shared file system, or an
object-store URI for the index). Runs until SIGTERM or Ctrl-C, which finish the
shards in hand first. A worker that dies has its shard redelivered to another.

Options:
      --queue URL             the Redis of the queue (required)
  -d, --device DEV            cpu (default), cuda:N, or all (one worker per GPU)
  -b, --backend NAME          the backend (default: auto)
      --threads N             engine threads per device
      --concurrency N         shards per device at once (default 1)
      --lock-duration S       seconds a shard's lock lasts between renewals (default 60)
      --stalled-interval S    seconds between checks for shards of dead workers (default 30)

Examples:
  tessera worker --queue redis://10.0.0.5:6379 --device all
  tessera worker --queue redis://127.0.0.1:6379 --threads 2`;

export async function workerCommand(argv: string[]): Promise<number> {
  const { values } = parse('worker', argv, {
    queue: { type: 'string' },
    device: { type: 'string', short: 'd' },
    backend: { type: 'string', short: 'b' },
    threads: { type: 'string' },
    concurrency: { type: 'string' },
    'lock-duration': { type: 'string' },
    'stalled-interval': { type: 'string' },
  });
  if (values.help) return printHelp(workerHelp);
  if (!values.queue) throw new UsageError('--queue is required (redis://host:port)', 'see `tessera worker --help`');
  const quiet = !!values.quiet;
  const say = (m: string) => quiet || process.stderr.write(`${m}\n`);
  const seconds = (name: string) => {
    const n = intOption(values, name);
    return n === undefined ? undefined : n * 1000;
  };
  const { startWorkers } = await import('@tessera/queue');
  const workers = await startWorkers({
    queue: String(values.queue),
    device: (values.device as string | undefined) ?? 'cpu',
    backend: values.backend as string | undefined,
    threads: intOption(values, 'threads'),
    concurrency: intOption(values, 'concurrency'),
    lockDurationMs: seconds('lock-duration'),
    stalledIntervalMs: seconds('stalled-interval'),
    onEvent: (e) => {
      if (e.type === 'started') say(`${e.device}: ${e.shard} started`);
      else if (e.type === 'model') say(`${e.device}: loaded ${e.model} (${e.engine}; token budget: ${e.budget})`);
      else if (e.type === 'completed')
        say(
          `${e.device}: ${e.shard} done: ${e.result.written} documents, ${e.result.tokens} tokens, encode ` +
            `${(e.result.encodeMs / 1000).toFixed(1)} s, write ${(e.result.writeMs / 1000).toFixed(2)} s`,
        );
      else if (e.type === 'failed')
        say(`${e.device}: ${e.shard} failed${e.final ? ' for good' : ' (will be retried)'}: ${e.error}`);
    },
  });
  say(
    `working on ${workers.devices.join(', ')} for ${values.queue} (Ctrl-C or SIGTERM finishes the shards in hand, then exits)`,
  );
  await new Promise<void>((resolve) => {
    const stop = () => {
      say('finishing the shards in hand');
      void workers.close().then(resolve);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  return 0;
}
