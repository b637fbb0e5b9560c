// GET and PUT /v1/admin/limits (admin): the limit policy in force, replaced whole at run time.
import { Router } from 'express';
import type { Contracts } from '../../contracts/index.js';
import type { LimitsAdmin } from '../../service/admin.js';
import type { LimitPolicy } from '../../service/policy.js';
import { context } from '../context.js';
import { requireRole } from '../roles.js';

export function createAdminRouter(deps: { limits: LimitsAdmin; contracts: Contracts }): Router {
  const router = Router();
  router.get('/v1/admin/limits', requireRole('admin'), (_req, res) => {
    res.json(deps.limits.current());
  });
  router.put('/v1/admin/limits', requireRole('admin'), async (req, res) => {
    const next = deps.contracts.assert<LimitPolicy>('limit_policy.json', req.body);
    const ctx = context(res);
    res.json(await deps.limits.update(next, { actor: ctx.actor, requestId: ctx.requestId }));
  });
  return router;
}
