import { isTesseraError } from '@tessera/core';

/** An error with the HTTP status and the TEI-style error_type it answers with. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
    readonly param?: string,
  ) {
    super(message);
  }
}

/** A request that waited past limits.requestTimeoutMs: answered 504, its slot freed. */
export class RequestTimeoutError extends HttpError {
  constructor(timeoutMs: number) {
    super(
      504,
      'timeout',
      `no embeddings within the server's request timeout (${timeoutMs / 1000} s, --request-timeout); the ` +
        'engine is busy or stuck: retry later',
    );
  }
}

export const validation = (message: string, param?: string) => new HttpError(422, 'validation', message, param);
export const badRequest = (message: string, param?: string) => new HttpError(400, 'validation', message, param);

/** Maps any thrown value to what the client sees: never a stack trace. */
export function toHttpError(e: unknown): HttpError {
  if (e instanceof HttpError) return e;
  if (isTesseraError(e)) {
    const field = typeof e.details.field === 'string' ? e.details.field : undefined;
    switch (e.code) {
      case 'INVALID_INPUT':
      case 'INVALID_OPTION':
      case 'UNSUPPORTED_DIMENSION':
      case 'DIMENSION_MISMATCH':
        return new HttpError(422, 'validation', e.message, field);
      case 'INVALID_FILTER':
        // The store's reason without its location (a path on the server).
        return new HttpError(
          422,
          'validation',
          typeof e.details.reason === 'string'
            ? `the filter ${JSON.stringify(e.details.where)} was refused: ${e.details.reason}`
            : e.message,
          'where',
        );
      case 'DISPOSED':
        return new HttpError(503, 'unavailable', 'the server is shutting down');
      default:
        return new HttpError(500, 'backend', e.message);
    }
  }
  const fastify = e as { statusCode?: number; code?: string; validation?: unknown; message?: string };
  if (fastify.code === 'FST_ERR_CTP_BODY_TOO_LARGE')
    return new HttpError(
      413,
      'payload',
      `request body is larger than the ${fastify.message?.match(/\d+/)?.[0] ?? ''} byte limit`.replace('  ', ' '),
    );
  if (fastify.validation) return new HttpError(422, 'validation', String(fastify.message));
  if (fastify.statusCode && fastify.statusCode >= 400 && fastify.statusCode < 500)
    return new HttpError(fastify.statusCode, 'validation', String(fastify.message));
  return new HttpError(500, 'backend', `internal error: ${(e as Error)?.message ?? String(e)}`);
}
