// Liveness, readiness, metrics and this API's document: unauthenticated by default (config server.public_routes).
import { UnavailableError } from '../../errors.js';
import type { ServiceMetrics } from '../../metrics/index.js';
import { ANSWERED, type RouteHandlers } from '../router.js';

export interface Readiness {
  /** Names what is not ready, or returns an empty list. */
  problems(): Promise<string[]>;
  /** What a ready service says about itself beside its status (the sandbox runtime in force). */
  details(): Record<string, unknown>;
}

export function healthHandlers(deps: { readiness: Readiness; metrics: ServiceMetrics; document: object }): Pick<RouteHandlers, 'health' | 'ready' | 'metrics' | 'openApi'> {
  return {
    health: () => ({ status: 200, body: { status: 'ok' } }),
    ready: async () => {
      // A probe that throws is a probe that failed: not ready, and no internals in a public answer.
      const problems = await deps.readiness.problems().catch(() => ['the readiness check failed']);
      if (problems.length > 0) throw new UnavailableError(`not ready: ${problems.join('; ')}`, 5, { problems });
      return { status: 200, body: { status: 'ready', ...deps.readiness.details() } };
    },
    metrics: async ({ res }) => {
      const { contentType, text } = await deps.metrics.exposition();
      res.type(contentType).send(text);
      return ANSWERED;
    },
    openApi: () => ({ status: 200, body: deps.document }),
  };
}
