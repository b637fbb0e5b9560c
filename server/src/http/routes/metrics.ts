// GET /metrics: the Prometheus text format (public unless config server.public_routes says otherwise).
import { Router } from 'express';
import type { ServiceMetrics } from '../../metrics/index.js';

export function createMetricsRouter(deps: { metrics: ServiceMetrics }): Router {
  const router = Router();
  router.get('/metrics', async (_req, res) => {
    const { contentType, text } = await deps.metrics.exposition();
    res.type(contentType).send(text);
  });
  return router;
}
