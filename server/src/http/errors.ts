// The one place where errors become HTTP answers: every error, thrown anywhere below, leaves in the
// SPEC's shape with the request id; a bug is `internal` and its stack stays in our log.
import { randomUUID } from 'node:crypto';
import { STATUS_CODES, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from 'winston';
import { AppError, MethodNotAllowedError, NotFoundError, PayloadTooLargeError, UnsupportedMediaTypeError, ValidationError } from '../errors.js';
import type { RouteMatch } from './api.js';
import { context } from './context.js';

interface FrameworkError {
  type?: string;
  status?: number;
  statusCode?: number;
}

/**
 * Errors raised by body-parser and the router carry a `type` and/or a 4xx `status`: they are what bad
 * input causes (a truncated body, a path that is not valid percent-encoding), so they answer 4xx.
 */
function fromFrameworkError(thrown: unknown): AppError | undefined {
  if (typeof thrown !== 'object' || thrown === null) return undefined;
  const { type, status, statusCode } = thrown as FrameworkError;
  switch (type) {
    case 'entity.too.large':
      return new PayloadTooLargeError('request body is larger than the limit');
    case 'entity.parse.failed':
      return new ValidationError('request body is not valid JSON');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new UnsupportedMediaTypeError('request body encoding is not supported (UTF-8 JSON, uncompressed)');
  }
  const httpStatus = status ?? statusCode;
  if (typeof httpStatus !== 'number' || httpStatus < 400 || httpStatus >= 500) return undefined;
  if (httpStatus === 413) return new PayloadTooLargeError('request is larger than the limit');
  if (httpStatus === 415) return new UnsupportedMediaTypeError('request body type is not supported');
  return new ValidationError('the request could not be read');
}

/** The SPEC error a thrown value stands for: itself, a framework's 4xx translated, or undefined for a bug. */
export function knownError(thrown: unknown): AppError | undefined {
  return thrown instanceof AppError ? thrown : fromFrameworkError(thrown);
}

export function renderError(logger: Logger): ErrorRequestHandler {
  return (thrown: unknown, req, res, _next) => {
    const requestId = context(res).requestId;
    const known = knownError(thrown);
    const error = known ?? new AppError('internal', 'internal error; the request id finds it in the service log');
    if (!known) logger.error('unhandled error', { request_id: requestId, method: req.method, path: req.path, error: thrown instanceof Error ? thrown.stack : String(thrown) });
    const body = { error: { code: error.code, message: error.message, details: error.details, request_id: requestId } };
    // A streamed (NDJSON) answer has already sent 200: the error becomes its last line.
    if (res.headersSent) {
      res.end(JSON.stringify({ type: 'error', ...body }) + '\n');
      return;
    }
    if (error.retryAfterS !== undefined) res.setHeader('Retry-After', String(error.retryAfterS));
    // RFC 9110: a 401 names the scheme that would work.
    if (error.code === 'unauthorized') res.setHeader('WWW-Authenticate', 'Bearer');
    res.status(error.status).json(body);
  };
}

/**
 * A known path asked with a method it does not take: 405 `method_not_allowed` with `Allow` (SPEC §3).
 * It runs before the routers, so a literal path (`/v1/skills/run`) is never taken for a template
 * (`/v1/skills/{name}`) under another method.
 */
export function wrongMethod(match: (method: string, path: string) => RouteMatch): RequestHandler {
  return (req, res, next) => {
    const { route, allowed } = match(req.method, req.path);
    if (route || allowed.length === 0) return next();
    res.setHeader('Allow', allowed.join(', '));
    next(new MethodNotAllowedError(`${req.method} is not allowed on ${req.path.slice(0, 200)}; this path takes ${allowed.join(', ')}`, allowed));
  };
}

/** No route answered: 404. */
export const unknownRoute: RequestHandler = (req, _res, next) => {
  next(new NotFoundError(`no route ${req.method} ${req.path.slice(0, 200)}`));
};

/**
 * Requests Node's parser refuses (headers over its limit, malformed HTTP) never reach express; answer
 * them in the same shape instead of Node's bare 431/400, then close the connection.
 */
export function answerClientErrors(server: Server): void {
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    if (!socket.writable || !error.code?.startsWith('HPE_')) {
      socket.destroy();
      return;
    }
    const refusal = error.code === 'HPE_HEADER_OVERFLOW'
      ? new PayloadTooLargeError('request headers are larger than the limit')
      : new ValidationError('the request is not valid HTTP');
    const requestId = randomUUID();
    const body = JSON.stringify({ error: { code: refusal.code, message: refusal.message, details: {}, request_id: requestId } });
    socket.end([
      `HTTP/1.1 ${refusal.status} ${STATUS_CODES[refusal.status]}`,
      'Content-Type: application/json; charset=utf-8',
      `Content-Length: ${Buffer.byteLength(body)}`,
      `X-Request-Id: ${requestId}`,
      'Connection: close',
      '',
      body,
    ].join('\r\n'));
  });
}
