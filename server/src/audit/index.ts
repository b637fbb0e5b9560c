// The hash-chained audit log (SPEC §9) and its verifier. Format, rotation and crash recovery are
// described in server/src/audit/README.md.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { lockAuditDir } from './lock.js';
import { WinstonAuditLog, type OpsLogger } from './log.js';
import type { AuditLog } from './types.js';
import { fsyncDir } from '../durable/index.js';
import { AuditFileWriter } from './writer.js';

export type { AuditEntry, AuditEvent, AuditLog, AuditQuery } from './types.js';
export { Auditor, INTENT_OUTCOME, type ActionCall, type ActionHandle, type AuditFacts, type AuditorOptions, type ChangeTarget } from './action.js';
export type { OpsLogger } from './log.js';
export { AuditLockedError } from './lock.js';
export { AuditLogDamagedError } from './writer.js';
export { DEFAULT_QUERY_LIMIT, MAX_QUERY_LIMIT, SERVICE_START_EVENT } from './query.js';
export { verifyAudit, type VerifyFailure, type VerifyProblemKind, type VerifyReport } from './verify.js';
export { REDACTED } from './scrub.js';

export interface AuditLogOptions {
  dataDir: string;
  /** config.audit.rotate_bytes */
  rotateBytes: number;
  /** The service's operational logger, told about crash repairs and write failures. */
  logger?: OpsLogger;
}

export function auditDir(dataDir: string): string {
  return path.join(dataDir, 'audit');
}

/**
 * Opens (or starts) the log under `<dataDir>/audit/`, resuming the chain where the disk ends. When
 * start-up had to cut away a write torn by a crash, it records that repair as the first event, so
 * the chain itself says what happened.
 */
export async function createAuditLog(options: AuditLogOptions): Promise<AuditLog> {
  if (!Number.isInteger(options.rotateBytes) || options.rotateBytes < 1) throw new RangeError('rotateBytes must be a positive integer');
  const dir = auditDir(options.dataDir);
  // A new audit folder's own entry must be durable too, or a crash could lose the whole log.
  if (await mkdir(dir, { recursive: true, mode: 0o750 })) await fsyncDir(path.dirname(dir));
  const release = await lockAuditDir(dir);
  let opened: Awaited<ReturnType<typeof AuditFileWriter.open>>;
  try {
    opened = await AuditFileWriter.open({ dir, rotateBytes: options.rotateBytes });
  } catch (error) {
    await release();
    throw error;
  }
  const { writer, head, recovery } = opened;
  const log = new WinstonAuditLog(dir, writer, head, release, options.logger);
  if (recovery) {
    options.logger?.warn('audit log: repaired the end of the log after a crash', { ...recovery });
    await log.record({ event: 'audit.recovered', actor: null, request_id: null, outcome: 'repaired', details: { ...recovery } });
  }
  return log;
}
