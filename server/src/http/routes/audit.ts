// GET /v1/audit (admin): audit events, newest first, filtered by event, skill, since and limit.
import type { AuditLog } from '../../audit/index.js';
import { ValidationError } from '../../errors.js';
import type { RouteHandlers } from '../router.js';

export function auditHandlers(deps: { audit: AuditLog }): Pick<RouteHandlers, 'queryAudit'> {
  return {
    queryAudit: async ({ query }) => {
      const filter = { ...query };
      if (filter.since !== undefined) {
        // The format admits what Date cannot hold (a leap second): still the caller's mistake.
        const since = new Date(filter.since);
        if (Number.isNaN(since.getTime())) throw new ValidationError(`since is not a date this service can compare: ${filter.since}`, { field: 'since' });
        filter.since = since.toISOString();
      }
      return { status: 200, body: { events: await deps.audit.query(filter) } };
    },
  };
}
