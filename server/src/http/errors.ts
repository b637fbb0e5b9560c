// The one place where errors become HTTP answers: every error, thrown anywhere below, leaves in the
// SPEC's shape with the request id; a bug is `internal` and its stack stays in our log.
import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from 'winston';
import { AppError, NotFoundError, PayloadTooLargeError, ValidationError } from '../errors.js';
import { context } from './context.js';

/** Errors raised by express/body-parser carry a `type` and `status`; map the ones bad input causes. */
function fromParserError(error: { type?: string; status?: number; message?: string }): AppError | undefined {
  switch (error.type) {
    case 'entity.too.large':
      return new PayloadTooLargeError('request body is larger than the limit');
    case 'entity.parse.failed':
      return new ValidationError('request body is not valid JSON');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new AppError('unsupported_media_type', error.message ?? 'unsupported encoding');
    case 'request.aborted':
    case 'request.size.invalid':
    case 'stream.encoding.set':
      return new ValidationError(error.message ?? 'request body could not be read');
    default:
      return undefined;
  }
}

export function renderError(logger: Logger): ErrorRequestHandler {
  return (thrown: unknown, req, res, _next) => {
    const requestId = context(res).requestId;
    const known = thrown instanceof AppError ? thrown : fromParserError(thrown as { type?: string });
    const error = known ?? new AppError('internal', 'internal error; the request id finds it in the service log');
    if (!known) logger.error('unhandled error', { request_id: requestId, method: req.method, path: req.path, error: thrown instanceof Error ? thrown.stack : String(thrown) });
    const body = { error: { code: error.code, message: error.message, details: error.details, request_id: requestId } };
    // A streamed (NDJSON) answer has already sent 200: the error becomes its last line.
    if (res.headersSent) {
      res.end(JSON.stringify({ type: 'error', ...body }) + '\n');
      return;
    }
    if (error.retryAfterS !== undefined) res.setHeader('Retry-After', String(error.retryAfterS));
    res.status(error.status).json(body);
  };
}

export const unknownRoute: RequestHandler = (req, _res, next) => {
  next(new NotFoundError(`no route ${req.method} ${req.path}`));
};
