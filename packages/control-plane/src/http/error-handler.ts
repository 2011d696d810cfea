import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ERROR_CODES, type ErrorBody, type ErrorCode } from '@satusky/contracts';
import { AppError } from '../core/errors.ts';

// Connection-level failures of the database: the API answers 503 with a retry hint, not 500.
const DB_UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '08000',
  '08001',
  '08003',
  '08006',
]);

function isDatabaseUnavailable(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e && depth < 5; depth += 1) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && DB_UNAVAILABLE_CODES.has(code)) return true;
    const message = (e as { message?: unknown }).message;
    if (
      typeof message === 'string' &&
      /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(message)
    ) {
      return true;
    }
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

export function errorBody(code: ErrorCode, message: string, requestId: string, details?: unknown): ErrorBody {
  return { error: { code, message, ...(details === undefined ? {} : { details }), request_id: requestId } };
}

function classify(error: FastifyError | Error): AppError {
  if (error instanceof AppError) return error;
  const fe = error as FastifyError & { validation?: unknown; validationContext?: string };
  if (fe.validation) {
    const details = (fe.validation as { instancePath?: string; message?: string; params?: unknown }[]).map((v) => ({
      location: fe.validationContext ?? 'body',
      path: v.instancePath ?? '',
      message: v.message ?? 'invalid',
    }));
    return new AppError('SATUSKY_VALIDATION_FAILED', fe.message, { details });
  }
  switch (fe.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new AppError('SATUSKY_BAD_REQUEST', fe.message);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new AppError('SATUSKY_UNSUPPORTED_MEDIA_TYPE', fe.message);
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new AppError('SATUSKY_PAYLOAD_TOO_LARGE');
    default:
      break;
  }
  if (fe instanceof SyntaxError || fe.statusCode === 400) return new AppError('SATUSKY_BAD_REQUEST', fe.message);
  if (fe.statusCode === 415) return new AppError('SATUSKY_UNSUPPORTED_MEDIA_TYPE', fe.message);
  if (fe.statusCode === 413) return new AppError('SATUSKY_PAYLOAD_TOO_LARGE');
  if (isDatabaseUnavailable(error)) {
    return new AppError('SATUSKY_UNAVAILABLE', 'The database is unavailable; retry shortly.', {
      cause: error,
      headers: { 'retry-after': '2' },
    });
  }
  return new AppError('SATUSKY_INTERNAL', ERROR_CODES.SATUSKY_INTERNAL.message, { cause: error });
}

const API_PATH = /^\/(v1|healthz|readyz|metrics)(\/|$|\?)/;

/** `spa`: unknown GET paths outside the API answer the dashboard's index.html (client-side routes). */
export function registerErrorHandling(app: FastifyInstance, spa = false): void {
  app.setErrorHandler((error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply) => {
    const appError = classify(error);
    if (appError.status >= 500) {
      // The full error goes to the log with the request id; the body stays generic.
      request.log.error({ err: error, code: appError.code }, 'request failed');
    } else {
      request.log.info({ code: appError.code, status: appError.status }, appError.message);
    }
    const message = appError.status >= 500 ? ERROR_CODES[appError.code].message : appError.message;
    void reply
      .status(appError.status)
      .headers(appError.headers)
      .send(errorBody(appError.code, message, request.id, appError.status >= 500 ? undefined : appError.details));
  });

  app.setNotFoundHandler((request, reply) => {
    if (spa && request.method === 'GET' && !API_PATH.test(request.url) && (request.headers.accept ?? '').includes('text/html')) {
      void reply.type('text/html').sendFile('index.html');
      return;
    }
    void reply
      .status(404)
      .send(errorBody('SATUSKY_ROUTE_NOT_FOUND', `No route ${request.method} ${request.url.split('?')[0]}`, request.id));
  });
}
