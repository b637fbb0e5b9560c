// Shared set-up for the audit tests: a throw-away data_dir, a log filled with events, and line-level
// access to its files for tampering.
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import assert from 'node:assert/strict';
import { createAuditLog, MAX_QUERY_LIMIT, type AuditEntry, type AuditEvent, type AuditLog } from '../../server/src/audit/index.js';

/** The fields of every audit line, sorted. */
export const AUDIT_FIELDS = ['actor', 'decision', 'details', 'duration_ms', 'event', 'hash', 'outcome', 'prev_hash', 'request_id', 'seq', 'skill', 'time', 'version'];

/** Every line one request left (its X-Request-Id), oldest first, among the newest MAX_QUERY_LIMIT. */
export async function linesOfRequest(audit: Pick<AuditLog, 'query'>, requestId: string): Promise<AuditEntry[]> {
  return (await audit.query({ limit: MAX_QUERY_LIMIT })).filter((e) => e.request_id === requestId).reverse();
}

/** The request left exactly one line, with every standard field: that line. */
export async function oneLineOfRequest(audit: Pick<AuditLog, 'query'>, requestId: string): Promise<AuditEntry> {
  const lines = await linesOfRequest(audit, requestId);
  assert.equal(lines.length, 1, `one audit line for request ${requestId}: ${JSON.stringify(lines)}`);
  assert.deepEqual(Object.keys(lines[0]!).sort(), AUDIT_FIELDS);
  return lines[0]!;
}

export async function tempDataDir(): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), 'audit-test-'));
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

export function runEvent(i: number, overrides: Partial<AuditEvent> = {}): AuditEvent {
  return {
    event: 'run', actor: 'ops', request_id: `req-${i}`, skill: 'word-count', version: '1.0.0',
    decision: 'APPROVE', outcome: 'succeeded', duration_ms: 10 + i, details: { run_id: `run-${i}` },
    ...overrides,
  };
}

/** Records `count` run events one after another and closes the log. */
export async function writeLog(dataDir: string, count: number, rotateBytes = 64 * 1024 * 1024): Promise<void> {
  const log = await createAuditLog({ dataDir, rotateBytes });
  try {
    for (let i = 1; i <= count; i++) await log.record(runEvent(i));
  } finally {
    await log.close();
  }
}

export async function withLog<T>(dataDir: string, rotateBytes: number, use: (log: AuditLog) => Promise<T>): Promise<T> {
  const log = await createAuditLog({ dataDir, rotateBytes });
  try {
    return await use(log);
  } finally {
    await log.close();
  }
}

/** The audit files of a data_dir, oldest first, as full paths. */
export async function auditFiles(dataDir: string): Promise<string[]> {
  const dir = path.join(dataDir, 'audit');
  return (await readdir(dir)).filter((name) => /^audit-\d+\.log$/.test(name)).sort().map((name) => path.join(dir, name));
}

/** The file's complete lines (the text after the last newline, if any, is left out). */
export async function readLines(file: string): Promise<string[]> {
  const lines = (await readFile(file, 'utf8')).split('\n');
  lines.pop();
  return lines;
}

export async function writeLines(file: string, lines: string[]): Promise<void> {
  await writeFile(file, lines.map((line) => `${line}\n`).join(''));
}

/** Every entry line of every file, parsed, in file order. */
export async function allEntries(dataDir: string): Promise<Array<Record<string, unknown>>> {
  const entries: Array<Record<string, unknown>> = [];
  for (const file of await auditFiles(dataDir)) {
    for (const line of await readLines(file)) {
      const value = JSON.parse(line) as Record<string, unknown>;
      if (!('audit_log' in value)) entries.push(value);
    }
  }
  return entries;
}
