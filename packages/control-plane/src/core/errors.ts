import { ERROR_CODES, type ErrorCode } from '@satusky/contracts';

/**
 * The one error type services throw for expected failures. The HTTP layer maps `code` to its
 * status through the catalogue; services never pick HTTP statuses themselves.
 */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details: unknown;
  /** Extra response headers, e.g. Retry-After on 429/503. */
  readonly headers: Record<string, string>;

  constructor(
    code: ErrorCode,
    message?: string,
    options: { details?: unknown; cause?: unknown; headers?: Record<string, string> } = {},
  ) {
    super(message ?? ERROR_CODES[code].message, { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.details = options.details;
    this.headers = options.headers ?? {};
  }

  get status(): number {
    return ERROR_CODES[this.code].status;
  }
}

export const notFound = (code: ErrorCode = 'SATUSKY_NOT_FOUND', message?: string): AppError =>
  new AppError(code, message);

export const forbidden = (message?: string): AppError => new AppError('SATUSKY_FORBIDDEN', message);

export const invalid = (message: string, details?: unknown): AppError =>
  new AppError('SATUSKY_INVALID_INPUT', message, { details });

export const conflict = (code: ErrorCode, message?: string, details?: unknown): AppError =>
  new AppError(code, message, { details });
