// Per-request facts the middleware establishes and the routes read: the request id and the caller.
import type { Response } from 'express';
import type { Actor } from '../auth/index.js';

export interface RequestContext {
  requestId: string;
  actor: Actor | null;
  startedAt: number;
  /** Set once the route's handler starts: from then on its use case audits what happens. */
  handlerStarted: boolean;
}

export function context(res: Response): RequestContext {
  return res.locals as RequestContext;
}
