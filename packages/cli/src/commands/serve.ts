import { existsSync } from 'node:fs';
import type { Store, Tessera } from '@tessera/core';
import type { ServerLimits } from '@tessera/server';
import { choice, intOption, MODEL_OPTIONS, parse, printHelp } from '../args.js';
import { UsageError } from '../errors.js';
import { openModel } from '../open-model.js';

export const serveHelp = `Usage: tessera serve --model M [--model M2 ...] [options]

An embedding server with dynamic batching: concurrent requests are merged into
length-sorted batches under a token budget, per model and role.

Routes:
  POST /v1/embeddings     OpenAI-compatible (dense models; ColBERT with return_multivector)
  POST /v1/multi-vector   Jina-compatible token vectors (input_type, embedding_type, dimensions)
  POST /embed  /embed_all  /rerank   text-embeddings-inference-compatible
  POST /v1/search         a query's best documents of an --index: {index, query, top_k?, where?, exact?}
  GET  /health  /info  /metrics (Prometheus)

Options:
  -m, --model M               model to serve (repeatable); NAME=M serves it as NAME
  -b, --backend NAME  -d, --device DEV  --threads N  --dtype D  --strict  --offline
      --index NAME=DIR        serve a tessera index folder as NAME on /v1/search (repeatable; it
                              must be built with one of the served models)
      --host HOST             address to bind (default 127.0.0.1)
      --port N                port (default 3000; 0 picks a free one)
      --max-batch-tokens N    ceiling on padded tokens per forward pass (default 16384;
                              a model's own smaller budget, 1024 on CPU, still applies)
      --max-batch-size N      texts per forward pass (default: the model's)
      --max-concurrent-requests N   past it, 429 at once (default 512)
      --max-client-batch-size N     inputs per request (default 32)
      --payload-limit SIZE    largest body, e.g. 2MB, 512KB (default 2MB)
      --no-auto-truncate      refuse over-long inputs with 422 instead of truncating
      --batch-wait MS         wait for more requests before an idle queue's first batch (default 0)
      --api-key KEY           Bearer token for every route but /health (or TESSERA_API_KEY)
      --cors ORIGINS          allow cross-origin calls from these origins (comma-separated; * for any)
      --shutdown-timeout S    seconds to finish accepted requests on SIGTERM/SIGINT (default 30)
      --request-timeout S     answer 504 to a request still waiting after S seconds and free its
                              slot (default 120; 0: no limit)
      --log-format F          log each request through Fastify's logger: json or pretty (default: off)
      --format-threads N      threads that write JSON float rows while the main thread serves
                              others (default: 0 on CPU, a quarter of the cores (1-4) on a GPU)

Example:
  tessera serve --model answerai-colbert-small-v1 --port 8080
  curl -s localhost:8080/v1/multi-vector -H 'content-type: application/json' \\
    -d '{"input": ["what is colbert?"], "input_type": "query"}'
  tessera serve --model answerai-colbert-small-v1 --index notes=./notes-index
  curl -s localhost:3000/v1/search -H 'content-type: application/json' \\
    -d '{"index": "notes", "query": "how do I rotate the API keys?", "top_k": 5}'`;

function size(v: unknown, name: string): number | undefined {
  if (v === undefined) return undefined;
  const m = /^(\d+(?:\.\d+)?)\s*(b|kb|mb|gb)?$/i.exec(String(v));
  if (!m) throw new UsageError(`--${name} must be a size such as 2MB or 512KB (got ${JSON.stringify(v)})`);
  const mult = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 }[(m[2] ?? 'b').toLowerCase() as 'b']!;
  return Math.round(Number(m[1]) * mult);
}

/** NAME=MODEL serves MODEL as NAME; anything else is served under its own spelling. */
function named(spec: string): { name: string; model: string } {
  const eq = spec.indexOf('=');
  if (eq > 0 && !existsSync(spec) && !spec.slice(0, eq).includes('/'))
    return { name: spec.slice(0, eq), model: spec.slice(eq + 1) };
  return { name: spec, model: spec };
}

export async function serveCommand(argv: string[]): Promise<number> {
  const { values } = parse('serve', argv, {
    ...MODEL_OPTIONS,
    model: { type: 'string', short: 'm', multiple: true },
    index: { type: 'string', multiple: true },
    host: { type: 'string' },
    port: { type: 'string' },
    'max-batch-tokens': { type: 'string' },
    'max-batch-size': { type: 'string' },
    'max-concurrent-requests': { type: 'string' },
    'max-client-batch-size': { type: 'string' },
    'payload-limit': { type: 'string' },
    'auto-truncate': { type: 'boolean' },
    'no-auto-truncate': { type: 'boolean' },
    'batch-wait': { type: 'string' },
    'api-key': { type: 'string' },
    cors: { type: 'string' },
    'shutdown-timeout': { type: 'string' },
    'request-timeout': { type: 'string' },
    'log-format': { type: 'string' },
    'format-threads': { type: 'string' },
  });
  if (values.help) return printHelp(serveHelp);
  const specs = (values.model as unknown as string[] | undefined) ?? [];
  if (!specs.length) throw new UsageError('--model is required', 'see `tessera serve --help`');
  const limits: Partial<ServerLimits> = {
    maxBatchTokens: intOption(values, 'max-batch-tokens'),
    maxBatchSize: intOption(values, 'max-batch-size'),
    maxConcurrentRequests: intOption(values, 'max-concurrent-requests'),
    maxClientBatchSize: intOption(values, 'max-client-batch-size'),
    payloadLimit: size(values['payload-limit'], 'payload-limit'),
    autoTruncate: !values['no-auto-truncate'],
    batchWaitMs: intOption(values, 'batch-wait', 0),
    shutdownTimeoutMs:
      values['shutdown-timeout'] === undefined ? undefined : intOption(values, 'shutdown-timeout', 0)! * 1000,
    requestTimeoutMs:
      values['request-timeout'] === undefined ? undefined : intOption(values, 'request-timeout', 0)! * 1000,
  };
  const logFormat = choice(values, 'log-format', ['json', 'pretty'] as const);
  for (const k of Object.keys(limits) as Array<keyof ServerLimits>) if (limits[k] === undefined) delete limits[k];
  const port = intOption(values, 'port', 0) ?? 3000;
  const quiet = !!values.quiet;
  const say = (m: string) => quiet || process.stderr.write(`${m}\n`);
  const models: Array<{ name: string; tessera: Tessera }> = [];
  try {
    for (const s of specs) {
      const { name, model } = named(s);
      models.push({ name, tessera: await openModel({ ...values, model }) });
      say(
        `loaded ${name}: ${models.at(-1)!.tessera.kind}, ${models.at(-1)!.tessera.backendName} on ` +
          `${models.at(-1)!.tessera.device} (${models.at(-1)!.tessera.engine})`,
      );
    }
  } catch (e) {
    for (const m of models) await m.tessera.dispose();
    throw e;
  }
  const cors =
    values.cors === undefined
      ? undefined
      : values.cors === '*'
        ? true
        : String(values.cors)
            .split(',')
            .map((x) => x.trim());
  const indexes: Record<string, Store> = {};
  const { openLanceDbStore } = await import('@tessera/store-lancedb');
  for (const spec of (values.index as unknown as string[] | undefined) ?? []) {
    const eq = spec.indexOf('=');
    if (eq < 1) throw new UsageError(`--index takes NAME=DIR (got ${JSON.stringify(spec)})`);
    const name = spec.slice(0, eq);
    if (indexes[name]) throw new UsageError(`--index: two indexes are named "${name}"`);
    indexes[name] = await openLanceDbStore(spec.slice(eq + 1));
  }
  // Loaded here, not at the top: the other commands need no HTTP framework.
  const { createServer } = await import('@tessera/server');
  const server = await createServer({
    indexes,
    models,
    limits,
    apiKey: (values['api-key'] as string | undefined) ?? process.env.TESSERA_API_KEY,
    cors,
    disposeModels: true,
    formatThreads: intOption(values, 'format-threads', 0),
    log: logFormat ?? false,
  }).catch(async (e: unknown) => {
    for (const m of models) await m.tessera.dispose();
    for (const store of Object.values(indexes)) await store.close();
    throw e;
  });
  const address = await server.listen({ host: (values.host as string | undefined) ?? '127.0.0.1', port });
  say(
    `listening on ${address} (max-batch-tokens ${server.limits.maxBatchTokens}, max-concurrent-requests ` +
      `${server.limits.maxConcurrentRequests}, ${server.formatThreads} formatting ` +
      `threads${(values['api-key'] ?? process.env.TESSERA_API_KEY) ? ', API key required' : ''})`,
  );
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      say(`${signal}: finishing accepted requests (at most ${server.limits.shutdownTimeoutMs / 1000} s), then exiting`);
      void server.close().then(resolve);
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  for (const store of Object.values(indexes)) await store.close();
  say('stopped');
  return 0;
}
