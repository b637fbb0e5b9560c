// The express app: request id and security headers, authentication (except on the public paths),
// bounded body parsing, the routers, then one error renderer. It knows services, never Docker or
// file paths.
import { randomUUID } from 'node:crypto';
import express, { type RequestHandler, type Router } from 'express';
import helmet from 'helmet';
import type { Logger } from 'winston';
import type { Auditor } from '../audit/index.js';
import type { ResponseSample } from '../metrics/index.js';
import { API_ROUTES, routeMatcher, type ApiRoute } from './api.js';
import { auditRefusals } from './authenticate.js';
import { auditInputRefusals } from './refusals.js';
import { bodyParsers } from './body.js';
import { context } from './context.js';
import { renderError, unknownRoute, wrongMethod } from './errors.js';
import { consoleSecurityHeaders, isConsolePath } from './routes/console.js';

export interface HttpAppOptions {
  logger: Logger;
  bodyLimitBytes: number;
  /** Establishes context(res).actor from the request, or refuses it. */
  authenticate: RequestHandler;
  /** Paths served without a key (config `server.public_routes`); every other path needs one. */
  publicPaths: readonly string[];
  /** Routers mounted in order (each checks its own roles). */
  routers: Router[];
  /** Where refused requests are recorded (events auth.refused, request.refused); test apps may leave it out. */
  auditor?: Auditor;
  /** Told about every answered request (its route template, never its path or caller). */
  onResponse?: (sample: ResponseSample) => void;
  /** The route table (API_ROUTES unless a test app brings its own). */
  api?: readonly ApiRoute[];
  /** The admin console's static files (routes/console.ts), served without a key under /ui. */
  console?: Router;
}

const assignRequestId: RequestHandler = (_req, res, next) => {
  const ctx = context(res);
  ctx.requestId = randomUUID();
  ctx.actor = null;
  ctx.startedAt = performance.now();
  ctx.handlerStarted = false;
  res.setHeader('X-Request-Id', ctx.requestId);
  // Answers carry audit events, policies and run results: no cache may keep them.
  res.setHeader('Cache-Control', 'no-store');
  next();
};

/** A JSON API renders no documents: nothing may load, frame or embed its answers. */
const apiSecurityHeaders = helmet({
  contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
});

/** The console's pages get their own policy (scripts and styles of this origin); everything else the API's. */
const securityHeaders: RequestHandler = (req, res, next) =>
  (isConsolePath(req.path) ? consoleSecurityHeaders : apiSecurityHeaders)(req, res, next);

export function createHttpApp(options: HttpAppOptions): express.Express {
  const match = routeMatcher(options.api ?? API_ROUTES);
  const publicPaths = new Set(options.publicPaths);
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  // Flat string parameters only: no nested objects out of `a[b]=c`.
  app.set('query parser', 'simple');

  app.use(assignRequestId, securityHeaders);
  app.use((req, res, next) => {
    // 'close' comes for every request, also one whose client went away before its answer was complete.
    res.once('close', () => {
      const ctx = context(res);
      const sample = {
        method: req.method,
        route: match(req.method, req.path).route?.path ?? 'unmatched',
        status: res.statusCode,
        durationMs: performance.now() - ctx.startedAt,
      };
      options.onResponse?.(sample);
      const completed = res.writableFinished;
      // Probes and scrapes come every few seconds: they log at debug, the API at info.
      options.logger.log(publicPaths.has(req.path) ? 'debug' : 'info', 'request', {
        request_id: ctx.requestId, actor: ctx.actor?.id ?? null, ...sample, durationMs: Math.round(sample.durationMs), ...(completed ? {} : { client_gone: true }),
      });
    });
    next();
  });
  if (options.console) app.use(options.console);
  // The exact path decides: /metrics is public, /metrics/ or /METRICS is not (they find no route anyway).
  app.use((req, res, next) => (publicPaths.has(req.path) ? next() : options.authenticate(req, res, next)));
  app.use(wrongMethod(match));
  app.use(bodyParsers({ limitBytes: options.bodyLimitBytes, match }));
  for (const router of options.routers) app.use(router);
  app.use(unknownRoute);
  if (options.auditor) app.use(auditRefusals(options.auditor), auditInputRefusals(options.auditor, match));
  app.use(renderError(options.logger));
  return app;
}
