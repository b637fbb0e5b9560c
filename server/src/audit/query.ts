// Reads audit entries newest first, across rotated files, reading each file from its end so that a
// query for the latest events touches only the last chunks of the log.
import { ValidationError } from '../errors.js';
import { linesBackward, listAuditFiles } from './files.js';
import { parseLine } from './line.js';
import type { AuditEntry, AuditQuery } from './types.js';

export const DEFAULT_QUERY_LIMIT = 100;
export const MAX_QUERY_LIMIT = 1000;

function effectiveLimit(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_QUERY_LIMIT;
  if (!Number.isInteger(limit) || limit < 1) throw new ValidationError('limit must be a positive integer', { limit });
  return Math.min(limit, MAX_QUERY_LIMIT);
}

function timeMs(field: 'since' | 'until', value: string | undefined): number | null {
  if (value === undefined) return null;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new ValidationError(`${field} must be an ISO 8601 date-time`, { [field]: value });
  return ms;
}

/** Whether an entry passes the filters that do not depend on its place in the log. */
function matches(entry: AuditEntry, filter: AuditQuery, until: number | null): boolean {
  if (filter.before !== undefined && entry.seq >= filter.before) return false;
  if (until !== null && Date.parse(entry.time) > until) return false;
  if (filter.event !== undefined && entry.event !== filter.event) return false;
  if (filter.skill !== undefined && entry.skill !== filter.skill) return false;
  if (filter.actor !== undefined && entry.actor !== filter.actor) return false;
  return true;
}

/** Newest first. Lines that do not parse are skipped here; reporting them is the verifier's job. */
export async function queryAudit(dir: string, filter: AuditQuery): Promise<AuditEntry[]> {
  const limit = effectiveLimit(filter.limit);
  const since = timeMs('since', filter.since);
  const until = timeMs('until', filter.until);
  const found: AuditEntry[] = [];
  const files = await listAuditFiles(dir);
  for (const file of files.reverse()) {
    for await (const line of linesBackward(file.path)) {
      if (line.tail) continue; // a line still being written, or torn by a crash
      const parsed = parseLine(line.text);
      if (parsed.kind !== 'entry') continue;
      const entry = parsed.entry;
      // Times are assigned in chain order, so everything further back is older still.
      if (since !== null && Date.parse(entry.time) < since) return found;
      if (!matches(entry, filter, until)) continue;
      found.push(entry);
      if (found.length >= limit) return found;
    }
  }
  return found;
}
