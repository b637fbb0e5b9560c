// GET /v1/me (client): the caller's key id and role, so a console shows what that role may use.
// GET /v1/admin/status (admin): engine, runtime, warm pool and queue (service/status.ts).
import { Router } from 'express';
import type { ServiceStatus } from '../../service/status.js';
import { context } from '../context.js';
import { requireRole } from '../roles.js';

export function createStatusRouter(deps: { status: () => Promise<ServiceStatus> }): Router {
  const router = Router();
  router.get('/v1/me', requireRole('client'), (_req, res) => {
    const { actor } = context(res);
    res.json({ id: actor!.id, role: actor!.role });
  });
  router.get('/v1/admin/status', requireRole('admin'), async (_req, res) => {
    res.json(await deps.status());
  });
  return router;
}
