// Request bodies: JSON only (plus the raw media types a route lists, e.g. a gzip package for
// install, which that route reads itself), UTF-8, uncompressed, within the size limit, at most
// MAX_JSON_DEPTH deep and with no `__proto__` key. Everything else is refused with a 4xx before a
// route sees it.
import express, { type RequestHandler } from 'express';
import { PayloadTooLargeError, UnsupportedMediaTypeError, ValidationError } from '../errors.js';
import { JSON_MEDIA_TYPE, type RouteMatch } from './api.js';

/** Deep enough for any real input; shallow enough that JSON.stringify and ajv never exhaust the stack. */
export const MAX_JSON_DEPTH = 64;

export interface BodyOptions {
  limitBytes: number;
  match: (method: string, path: string) => RouteMatch;
}

const MEDIA_TYPE = /^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/;

/** `type/subtype; charset=x` -> its lower-cased type and charset; undefined when malformed. */
function parseContentType(header: string | undefined): { type: string; charset?: string } | undefined {
  if (header === undefined) return undefined;
  const [type = '', ...parameters] = header.split(';').map((part) => part.trim().toLowerCase());
  if (!MEDIA_TYPE.test(type)) return undefined;
  const charset = parameters.find((p) => p.startsWith('charset='))?.slice('charset='.length).replace(/^"(.*)"$/, '$1');
  return { type, charset };
}

function hasBody(req: express.Request): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/**
 * Decides from the headers alone, before a byte of the body is read: compressed bodies are refused
 * rather than inflated (a small gzip can expand without bound, and no client of a JSON API needs it),
 * and a declared length above the limit is refused at once instead of after reading it.
 */
function checkBodyHeaders(options: BodyOptions): RequestHandler {
  return (req, _res, next) => {
    if (!hasBody(req)) return next();
    const encoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
    if (encoding !== 'identity') {
      return next(new UnsupportedMediaTypeError(`compressed request bodies are not accepted (Content-Encoding: ${encoding.slice(0, 32)})`));
    }
    const accepted = [JSON_MEDIA_TYPE, ...(options.match(req.method, req.path).route?.body?.raw ?? [])];
    const type = parseContentType(req.headers['content-type']);
    if (!type) return next(new UnsupportedMediaTypeError('a request body needs a valid Content-Type', { accepted }));
    if (!accepted.includes(type.type)) {
      return next(new UnsupportedMediaTypeError(`request bodies here must be ${accepted.join(' or ')}, not ${type.type.slice(0, 64)}`, { accepted }));
    }
    // A raw body (a package) is read, with its own limit, by the route that takes it.
    if (type.type !== JSON_MEDIA_TYPE) return next();
    if (type.charset !== undefined && type.charset !== 'utf-8') {
      return next(new UnsupportedMediaTypeError(`JSON bodies must be UTF-8, not ${type.charset.slice(0, 32)}`));
    }
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > options.limitBytes) {
      return next(new PayloadTooLargeError(`request body of ${declared} bytes is larger than the limit of ${options.limitBytes}`, { limit_bytes: options.limitBytes }));
    }
    next();
  };
}

/** Walks the parsed body without recursion, so the check itself cannot overflow the stack. */
function findJsonProblem(body: unknown): { message: string; path: string } | undefined {
  const pending: Array<{ value: unknown; depth: number; path: string }> = [{ value: body, depth: 1, path: '' }];
  while (pending.length > 0) {
    const { value, depth, path } = pending.pop()!;
    if (typeof value !== 'object' || value === null) continue;
    if (depth > MAX_JSON_DEPTH) return { message: `request body is nested deeper than ${MAX_JSON_DEPTH} levels`, path };
    for (const key of Object.keys(value)) {
      // JSON.parse makes `__proto__` an own property, but any later Object.assign or spread-merge would
      // turn it into a prototype: such a body is refused outright rather than trusted to every reader.
      if (key === '__proto__') return { message: 'request body may not contain the key __proto__', path: `${path}/${key}` };
      pending.push({ value: (value as Record<string, unknown>)[key], depth: depth + 1, path: `${path}/${key}` });
    }
  }
  return undefined;
}

const checkJsonBody: RequestHandler = (req, _res, next) => {
  const body: unknown = req.body;
  if (body === undefined || Buffer.isBuffer(body)) return next();
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return next(new ValidationError('request body must be a JSON object'));
  }
  const problem = findJsonProblem(body);
  next(problem ? new ValidationError(problem.message, { path: problem.path.slice(0, 256) }) : undefined);
};

/** The body middleware, in order; mounted after authentication so anonymous bodies are never read. */
export function bodyParsers(options: BodyOptions): RequestHandler[] {
  return [
    checkBodyHeaders(options),
    express.json({ limit: options.limitBytes, strict: false, inflate: false, type: JSON_MEDIA_TYPE }),
    checkJsonBody,
  ];
}
