/** Every error Tessera throws carries one of these codes, so callers can branch on it. */
export type ErrorCode =
  | 'INVALID_INPUT'
  | 'INVALID_OPTION'
  | 'MODEL_NOT_FOUND'
  | 'INVALID_MODEL'
  | 'CORRUPT_FILE'
  | 'UNSUPPORTED_DIMENSION'
  | 'DIMENSION_MISMATCH'
  | 'BACKEND_NOT_INSTALLED'
  | 'BACKEND_FAILED'
  | 'BACKEND_CONFLICT'
  | 'BACKEND_CONTRACT'
  | 'DEVICE_UNAVAILABLE'
  | 'DISPOSED'
  | 'HUB_ERROR'
  | 'OFFLINE'
  | 'INDEX_MISMATCH'
  | 'NOT_AN_INDEX'
  | 'INVALID_FILTER'
  | 'STORE_FAILED'
  | 'WRITE_FAILED'
  | 'OUT_OF_MEMORY';

export class TesseraError extends Error {
  readonly code: ErrorCode;
  /** Extra machine-readable context: a file, a field, an index. */
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TesseraError';
    this.code = code;
    this.details = details;
  }
}

export function isTesseraError(e: unknown, code?: ErrorCode): e is TesseraError {
  return e instanceof TesseraError && (code === undefined || e.code === code);
}
