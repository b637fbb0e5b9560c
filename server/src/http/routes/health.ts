// Liveness, readiness and metrics: unauthenticated by default (config server.public_routes).
import { Router } from 'express';
import { UnavailableError } from '../../errors.js';

export interface Readiness {
  /** Names what is not ready, or returns an empty list. */
  problems(): Promise<string[]>;
  /** What a ready service says about itself beside its status (the sandbox runtime in force). */
  details(): Record<string, unknown>;
}

export function createHealthRouter(deps: { readiness: Readiness }): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    // A probe that throws is a probe that failed: not ready, and no internals in a public answer.
    const problems = await deps.readiness.problems().catch(() => ['the readiness check failed']);
    if (problems.length > 0) throw new UnavailableError(`not ready: ${problems.join('; ')}`, 5, { problems });
    res.json({ status: 'ready', ...deps.readiness.details() });
  });
  return router;
}
