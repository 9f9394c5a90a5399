import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import cors from '@fastify/cors';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { bearerCheck } from './auth.js';
import { HttpError, toHttpError } from './errors.js';
import { ServerMetrics } from './metrics.js';
import { FormatPool } from './format-pool.js';
import { DEFAULT_LIMITS, defaultFormatThreads, type ServerLimits, type ServerOptions } from './options.js';
import { jinaRoutes } from './routes/jina.js';
import { openaiRoutes } from './routes/openai.js';
import { searchRoutes, servedIndexes } from './routes/search.js';
import { teiRoutes } from './routes/tei.js';
import { CancelledError, Service } from './service.js';
import { type SchemaError, refuseTokenIds, schemaMessage } from './validation.js';

const VERSION = (createRequire(import.meta.url)('../package.json') as { version: string }).version;

/** Fastify's logger (pino) for ServerOptions.log: off, JSON lines, or pino-pretty's lines. */
function logger(log: ServerOptions['log']): FastifyServerOptions['logger'] {
  if (!log) return false;
  if (log === 'json') return { level: 'info' };
  return {
    level: 'info',
    transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } },
  };
}

const OPEN = new Set(['/health']);
const QUEUED = new Set(['/v1/embeddings', '/v1/multi-vector', '/embed', '/embed_all', '/rerank', '/v1/search']);

export interface TesseraServer {
  /** The Fastify instance, to add routes or inject requests. */
  app: FastifyInstance;
  metrics: ServerMetrics;
  limits: ServerLimits;
  /** Worker threads that write JSON bodies with float rows (0: the main thread writes every body). */
  formatThreads: number;
  /** Starts listening; resolves with the address. Binds 127.0.0.1 unless told otherwise. */
  listen(o?: { host?: string; port?: number }): Promise<string>;
  /** Stops accepting, finishes every accepted request (at most limits.shutdownTimeoutMs), then disposes the models if it owns them. */
  close(): Promise<void>;
}

/** Builds the server: routes, limits, auth, metrics and dynamic batching over the given models. */
export async function createServer(options: ServerOptions): Promise<TesseraServer> {
  const limits: ServerLimits = { ...DEFAULT_LIMITS, ...options.limits };
  for (const [k, v] of Object.entries(limits))
    if (v !== undefined && typeof v === 'number' && !(v >= 0))
      throw new Error(`limit ${k} must be a non-negative number (got ${v})`);
  const metrics = new ServerMetrics();
  if (!options.models?.length) throw new Error('createServer needs at least one model');
  const devices = options.models.flatMap((m) => ('tessera' in m ? m.tessera : m).devices);
  const threads = options.formatThreads ?? defaultFormatThreads(devices, availableParallelism());
  if (!(Number.isInteger(threads) && threads >= 0))
    throw new Error(`formatThreads must be a non-negative integer (got ${threads})`);
  const pool = threads > 0 ? new FormatPool(threads) : undefined;
  const service = new Service(options, limits, metrics, pool);
  const indexes = await servedIndexes(options.indexes ?? {}, service.models).catch(async (e: unknown) => {
    await pool?.close();
    throw e;
  });
  // Fastify parses and validates bodies (with their size limited before parsing); no hand-written HTTP.
  const app = Fastify({
    logger: logger(options.log),
    bodyLimit: limits.payloadLimit,
    // verbose: each error carries the value it read, for messages that say what came instead.
    ajv: { customOptions: { allErrors: false, coerceTypes: false, verbose: true } },
    schemaErrorFormatter: (errors) => {
      const { message, field } = schemaMessage(errors as unknown as SchemaError[]);
      return new HttpError(422, 'validation', message, field);
    },
    // A "__proto__" key is valid JSON: it is dropped (never merged into a prototype), not refused.
    onProtoPoisoning: 'remove',
    onConstructorPoisoning: 'remove',
    forceCloseConnections: 'idle',
  });
  if (options.cors) await app.register(cors, { origin: options.cors === true ? true : options.cors });

  const check = options.apiKey ? bearerCheck(options.apiKey) : undefined;
  app.addHook('onRequest', async (req, reply) => {
    (req as { startedAt?: number }).startedAt = performance.now();
    const path = req.routeOptions.url ?? req.url;
    if (check && !OPEN.has(path) && !check(req.headers.authorization)) {
      reply.header('www-authenticate', 'Bearer');
      throw new HttpError(401, 'unauthorized', 'missing or wrong API key: send "Authorization: Bearer <key>"');
    }
    if (QUEUED.has(path)) {
      // Past the limit: 429 at once, before the body is even read (never a timeout).
      if (service.inFlight >= limits.maxConcurrentRequests)
        throw new HttpError(
          429,
          'overloaded',
          `the server has ${service.inFlight} requests in flight, its limit (max-concurrent-requests); retry later`,
        );
      service.inFlight++;
      metrics.inFlight.inc();
      // 'close' comes for answered and for abandoned requests alike.
      reply.raw.once('close', () => {
        service.inFlight--;
        metrics.inFlight.dec();
      });
    }
  });
  // Before the schema: token ids where text belongs get a message that says what to send instead.
  app.addHook('preValidation', async (req) => refuseTokenIds(req.routeOptions.url ?? '', req.body));
  let shuttingDown = false;
  // While closing, each answer ends its connection, so that keep-alive clients do not hold the close up.
  app.addHook('onSend', async (_req, reply) => {
    if (shuttingDown) reply.header('connection', 'close');
  });
  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unknown';
    metrics.requestDuration.observe(
      { route, status: String(reply.statusCode) },
      (performance.now() - ((req as { startedAt?: number }).startedAt ?? performance.now())) / 1000,
    );
  });
  app.setErrorHandler((e, req, reply) => {
    if (e instanceof CancelledError) {
      metrics.failures.inc({ kind: 'cancelled' });
      return reply.code(499).send({ error: e.message, error_type: 'cancelled' });
    }
    const h = toHttpError(e);
    metrics.failures.inc({ kind: h.type });
    if (h.status >= 500) req.log.error({ err: e }, h.message);
    else req.log.info({ status: h.status, error_type: h.type }, h.message);
    const path = req.routeOptions.url ?? '';
    // OpenAI's clients read error.message; TEI's and Jina's read error as a string.
    const body = path.startsWith('/v1/embeddings')
      ? {
          error: {
            message: h.message,
            type: h.type === 'validation' ? 'invalid_request_error' : h.type,
            param: h.param ?? null,
            code: h.status === 404 ? 'model_not_found' : null,
          },
          error_type: h.type,
        }
      : { error: h.message, error_type: h.type };
    return reply.code(h.status).send(body);
  });
  app.setNotFoundHandler((req, reply) =>
    reply.code(404).send({ error: `no route ${req.method} ${req.url}`, error_type: 'not_found' }),
  );

  app.get('/health', async () => ({ status: 'ok' }));
  app.get('/info', async () => ({
    version: VERSION,
    models: service.models.map((m) => ({
      name: m.name,
      kind: m.tessera.kind,
      layout: m.tessera.spec.layout,
      dimension: m.tessera.dimension,
      dimensions: m.tessera.spec.dimensions,
      backend: m.tessera.backendName,
      device: m.tessera.device,
      engine: m.tessera.engine,
      max_input_length: m.tessera.kind === 'dense' ? m.tessera.spec.maxLength : m.tessera.spec.colbert!.documentLength,
      batch_tokens: service.budget(m).maxBatchTokens,
      batch_size: service.budget(m).maxBatchSize,
    })),
    max_batch_tokens: limits.maxBatchTokens,
    max_concurrent_requests: limits.maxConcurrentRequests,
    max_client_batch_size: limits.maxClientBatchSize,
    payload_limit: limits.payloadLimit,
    auto_truncate: limits.autoTruncate,
    format_threads: threads,
    indexes: indexes.map((i) => ({ name: i.name, location: i.store.location, model: i.model.name })),
  }));
  app.get('/metrics', async (_req, reply) => {
    reply.header('content-type', metrics.registry.contentType);
    return metrics.registry.metrics();
  });
  openaiRoutes(app, service);
  jinaRoutes(app, service);
  teiRoutes(app, service);
  searchRoutes(app, service, indexes);

  let closing: Promise<void> | undefined;
  return {
    app,
    metrics,
    limits,
    formatThreads: threads,
    async listen(o = {}) {
      return app.listen({ host: o.host ?? '127.0.0.1', port: o.port ?? 3000 });
    },
    close() {
      closing ??= (async () => {
        shuttingDown = true;
        let timer: NodeJS.Timeout | undefined;
        // Accepted requests finish; past the timeout, connections are cut.
        const timeout = new Promise<void>((resolve) => {
          timer = setTimeout(() => {
            app.server.closeAllConnections?.();
            resolve();
          }, limits.shutdownTimeoutMs);
        });
        // Connections that fall idle after close() began are closed as they do; once every accepted
        // request is answered, whatever is left (a connection its client abandoned) is cut.
        const sweep = setInterval(
          () => (service.inFlight === 0 ? app.server.closeAllConnections?.() : app.server.closeIdleConnections?.()),
          50,
        );
        await Promise.race([app.close(), timeout]);
        clearTimeout(timer);
        clearInterval(sweep);
        await pool?.close();
        if (options.disposeModels) for (const m of service.models) await m.tessera.dispose();
      })();
      return closing;
    },
  };
}
