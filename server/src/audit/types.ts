// The fixed shape of an audit event (SPEC §9). Every action goes through AuditLog.record, which
// resolves only once the line is on disk: callers await it before answering.
import type { VerifyReport } from './verify.js';

export interface AuditEvent {
  event: string;                 // create | run | install | uninstall | promote | review.approve | review.reject | generate | limits.update | auth.refused | …
  actor: string | null;          // key id, never the key
  request_id: string | null;
  skill?: string | null;
  version?: string | null;
  decision?: string | null;      // control-layer decision, where there was one
  outcome: string;               // ok | run status | error code
  duration_ms?: number | null;
  details?: Record<string, unknown>;
}

export interface AuditEntry extends AuditEvent {
  time: string;                  // ISO 8601
  seq: number;
  prev_hash: string;
  hash: string;
}

export interface AuditQuery {
  event?: string;
  skill?: string;
  actor?: string;
  since?: string;                // ISO 8601
  until?: string;                // ISO 8601: only events at or before it
  before?: number;               // only events with a lower seq (the next page of a newest-first listing)
  limit?: number;
}

export interface AuditLog {
  /**
   * Resolves once the event's line is synced to disk. Rejects when it cannot be: after a failed
   * write or sync the log refuses every later record too (fail closed), so callers answer with an
   * error rather than acknowledge an action that left no record.
   */
  record(event: AuditEvent): Promise<void>;
  /** Newest first; limit defaults to 100 and is capped at 1000. A bad limit or since is a ValidationError. */
  query(filter: AuditQuery): Promise<AuditEntry[]>;
  /** Checks the whole chain as scripts/verify-audit does. */
  verify(): Promise<VerifyReport>;
  /** Waits for every pending record, then closes the file and releases the folder's lock. */
  close(): Promise<void>;
}
