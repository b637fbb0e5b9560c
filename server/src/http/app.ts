// The express app: request id, body parsing, authentication, then the routers; one error renderer.
// It knows services, never Docker or file paths.
import { randomUUID } from 'node:crypto';
import express, { type RequestHandler, type Router } from 'express';
import type { Logger } from 'winston';
import { UnsupportedMediaTypeError } from '../errors.js';
import { context } from './context.js';
import { renderError, unknownRoute } from './errors.js';

export interface HttpAppOptions {
  logger: Logger;
  bodyLimitBytes: number;
  /** Establishes context(res).actor from the request, or refuses it; routes listed as public skip it. */
  authenticate: RequestHandler;
  /** Routers mounted in order after authentication (each checks its own roles). */
  routers: Router[];
  /** Routers reachable without authentication (health, metrics, openapi). */
  publicRouters: Router[];
}

const assignRequestId: RequestHandler = (_req, res, next) => {
  const ctx = context(res);
  ctx.requestId = randomUUID();
  ctx.actor = null;
  ctx.startedAt = performance.now();
  res.setHeader('X-Request-Id', ctx.requestId);
  next();
};

/** Bodies are JSON, or a gzip package for the routes that take one; no urlencoded, no guessing. */
const requireJsonBody: RequestHandler = (req, _res, next) => {
  const hasBody = req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] ?? '0') !== '0';
  if (!hasBody || req.body !== undefined || req.is('application/gzip')) return next();
  next(new UnsupportedMediaTypeError(`request bodies must be application/json, not ${req.headers['content-type'] ?? 'untyped'}`));
};

export function createHttpApp(options: HttpAppOptions): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.use(assignRequestId);
  for (const router of options.publicRouters) app.use(router);
  app.use(options.authenticate);
  app.use(express.json({ limit: options.bodyLimitBytes, strict: false, type: ['application/json', 'application/*+json'] }));
  app.use(requireJsonBody);
  for (const router of options.routers) app.use(router);
  app.use(unknownRoute);
  app.use(renderError(options.logger));
  return app;
}
