// GET and PUT /v1/admin/limits (admin): the limit policy in force, replaced whole at run time.
// POST, GET /v1/admin/keys and DELETE /v1/admin/keys/{id} (admin): API keys at run time.
import { Router } from 'express';
import type { LimitsAdmin } from '../../service/admin.js';
import type { KeysService } from '../../service/keys.js';
import { context } from '../context.js';
import { requireRole } from '../roles.js';

export function createAdminRouter(deps: { limits: LimitsAdmin; keys: KeysService }): Router {
  const router = Router();
  router.get('/v1/admin/limits', requireRole('admin'), (_req, res) => {
    res.json(deps.limits.current());
  });
  router.put('/v1/admin/limits', requireRole('admin'), async (req, res) => {
    const ctx = context(res);
    res.json(await deps.limits.update(req.body, { actor: ctx.actor, requestId: ctx.requestId }));
  });
  router.post('/v1/admin/keys', requireRole('admin'), async (req, res) => {
    const ctx = context(res);
    res.status(201).json(await deps.keys.create(req.body, { actor: ctx.actor, requestId: ctx.requestId }));
  });
  router.get('/v1/admin/keys', requireRole('admin'), (_req, res) => {
    res.json(deps.keys.list());
  });
  router.delete('/v1/admin/keys/:id', requireRole('admin'), async (req, res) => {
    const ctx = context(res);
    res.json(await deps.keys.revoke(String(req.params.id), { actor: ctx.actor, requestId: ctx.requestId }));
  });
  return router;
}
