// GET /v1/audit (admin): audit events, newest first, filtered by event, skill, actor, since, until,
// paged with before and limit. GET /v1/audit/verify (admin): the chain checked as scripts/verify-audit does.
import path from 'node:path';
import type { AuditLog, VerifyReport } from '../../audit/index.js';
import type { Contract } from '../../contracts/index.js';
import { ValidationError } from '../../errors.js';
import type { RouteHandlers } from '../router.js';

/** The format admits what Date cannot hold (a leap second): still the caller's mistake. */
function normalisedTime(field: 'since' | 'until', value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const time = new Date(value);
  if (Number.isNaN(time.getTime())) throw new ValidationError(`${field} is not a date this service can compare: ${value}`, { field });
  return time.toISOString();
}

/** The report without the server's file paths: file names are enough to find the line. */
function publicReport(report: VerifyReport): Contract<'audit_verification.json'> {
  return {
    ok: report.ok,
    entries: report.entries,
    files: report.files.map((file) => path.basename(file)),
    head: report.head,
    torn_tail: report.tornTail && { ...report.tornTail, file: path.basename(report.tornTail.file) },
    failure: report.failure && { ...report.failure, file: path.basename(report.failure.file) },
  };
}

export function auditHandlers(deps: { audit: AuditLog }): Pick<RouteHandlers, 'queryAudit' | 'verifyAudit'> {
  return {
    queryAudit: async ({ query }) => {
      const filter = { ...query, since: normalisedTime('since', query.since), until: normalisedTime('until', query.until) };
      return { status: 200, body: { events: await deps.audit.query(filter) } };
    },
    verifyAudit: async () => ({ status: 200, body: publicReport(await deps.audit.verify()) }),
  };
}
