// GET /v1/audit (admin): audit events, newest first, filtered by event, skill, actor, since, until,
// paged with before and limit. GET /v1/audit/verify (admin): the chain checked as scripts/verify-audit does.
import path from 'node:path';
import { Router } from 'express';
import type { AuditLog, AuditQuery, VerifyReport } from '../../audit/index.js';
import type { Contracts } from '../../contracts/index.js';
import { ValidationError } from '../../errors.js';
import { requireRole } from '../roles.js';

const INTEGER_PARAMETERS = ['limit', 'before'] as const;

/** Query values arrive as strings; integers are read as such when all digits, else left for the contract to refuse. */
function typedQuery(query: Record<string, unknown>): Record<string, unknown> {
  const typed: Record<string, unknown> = { ...query };
  for (const name of INTEGER_PARAMETERS) {
    const value = typed[name];
    if (typeof value === 'string' && /^[0-9]{1,15}$/.test(value)) typed[name] = Number(value);
  }
  return typed;
}

/** The format admits what Date cannot hold (a leap second): still the caller's mistake. */
function normalisedTime(field: 'since' | 'until', value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const time = new Date(value);
  if (Number.isNaN(time.getTime())) throw new ValidationError(`${field} is not a date this service can compare: ${value}`, { field });
  return time.toISOString();
}

/** The report without the server's file paths: file names are enough to find the line. */
function publicReport(report: VerifyReport): object {
  return {
    ok: report.ok,
    entries: report.entries,
    files: report.files.map((file) => path.basename(file)),
    head: report.head,
    torn_tail: report.tornTail && { ...report.tornTail, file: path.basename(report.tornTail.file) },
    failure: report.failure && { ...report.failure, file: path.basename(report.failure.file) },
  };
}

export function createAuditRouter(deps: { audit: AuditLog; contracts: Contracts }): Router {
  const router = Router();
  router.get('/v1/audit', requireRole('admin'), async (req, res) => {
    const filter = deps.contracts.assert<AuditQuery>('audit_query.json', typedQuery(req.query), 'query');
    filter.since = normalisedTime('since', filter.since);
    filter.until = normalisedTime('until', filter.until);
    res.json({ events: await deps.audit.query(filter) });
  });
  router.get('/v1/audit/verify', requireRole('admin'), async (_req, res) => {
    res.json(publicReport(await deps.audit.verify()));
  });
  return router;
}
