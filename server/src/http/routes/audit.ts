// GET /v1/audit (admin): audit events, newest first, filtered by event, skill, since and limit.
import { Router } from 'express';
import type { AuditLog, AuditQuery } from '../../audit/types.js';
import type { Contracts } from '../../contracts/index.js';
import { ValidationError } from '../../errors.js';
import { requireRole } from '../roles.js';

/** Query values arrive as strings; `limit` is read as an integer when it is all digits, else left for the contract to refuse. */
function typedQuery(query: Record<string, unknown>): Record<string, unknown> {
  const typed: Record<string, unknown> = { ...query };
  if (typeof typed.limit === 'string' && /^[0-9]{1,9}$/.test(typed.limit)) typed.limit = Number(typed.limit);
  return typed;
}

export function createAuditRouter(deps: { audit: AuditLog; contracts: Contracts }): Router {
  const router = Router();
  router.get('/v1/audit', requireRole('admin'), async (req, res) => {
    const filter = deps.contracts.assert<AuditQuery>('audit_query.json', typedQuery(req.query), 'query');
    if (filter.since !== undefined) {
      // The format admits what Date cannot hold (a leap second): still the caller's mistake.
      const since = new Date(filter.since);
      if (Number.isNaN(since.getTime())) throw new ValidationError(`since is not a date this service can compare: ${filter.since}`, { field: 'since' });
      filter.since = since.toISOString();
    }
    res.json({ events: await deps.audit.query(filter) });
  });
  return router;
}
