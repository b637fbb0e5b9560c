// GET /openapi.json: the document built once from the route table and contracts/.
import { Router } from 'express';

export function createOpenApiRouter(deps: { document: object }): Router {
  const router = Router();
  router.get('/openapi.json', (_req, res) => {
    res.json(deps.document);
  });
  return router;
}
