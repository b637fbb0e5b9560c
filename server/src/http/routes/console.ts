// /ui: the admin console, static files built by `npm run setup` (ui/, scripts/build-ui.ts). They
// hold no data and are served without a key; every page reads the public API with the key the
// person signs in with. Its own Content-Security-Policy allows scripts and styles from this origin
// only: no inline script, no other host.
import express, { Router, type RequestHandler } from 'express';
import helmet from 'helmet';
import { NotFoundError } from '../../errors.js';

export const CONSOLE_PATH = '/ui';

export function isConsolePath(path: string): boolean {
  return path === CONSOLE_PATH || path.startsWith(`${CONSOLE_PATH}/`);
}

export const consoleSecurityHeaders: RequestHandler = helmet({
  contentSecurityPolicy: {
    useDefaults: false,
    directives: {
      defaultSrc: ["'none'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'"],
      imgSrc: ["'self'"],
      connectSrc: ["'self'"],
      baseUri: ["'none'"],
      formAction: ["'none'"],
      frameAncestors: ["'none'"],
    },
  },
  // The console fetches only its own origin; nothing else may embed or read it.
  crossOriginResourcePolicy: { policy: 'same-origin' },
  referrerPolicy: { policy: 'no-referrer' },
});

/** Serves the built console from `dir`; an unbuilt console or a missing file is 404. */
export function createConsoleRouter(deps: { dir: string }): Router {
  const router = Router();
  router.get([CONSOLE_PATH, `${CONSOLE_PATH}/`], (_req, res, next) => {
    res.sendFile('index.html', { root: deps.dir }, (error) => {
      if (error) next(new NotFoundError('the console is not built (npm run setup builds it)'));
    });
  });
  router.use(CONSOLE_PATH, express.static(deps.dir, { index: false, redirect: false, dotfiles: 'deny' }));
  router.use(CONSOLE_PATH, (req, _res, next) => next(new NotFoundError(`no console file ${req.path.slice(0, 200)}`)));
  return router;
}
