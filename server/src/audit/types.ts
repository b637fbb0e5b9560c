// The fixed shape of an audit event (SPEC §9). Every action goes through AuditLog.record, which
// resolves only once the line is on disk: callers await it before answering.

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
  since?: string;                // ISO 8601
  limit?: number;
}

export interface AuditLog {
  record(event: AuditEvent): Promise<void>;
  /** Newest first. */
  query(filter: AuditQuery): Promise<AuditEntry[]>;
  close(): Promise<void>;
}
