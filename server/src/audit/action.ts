// One audited action (SPEC §9): every use case runs inside `Auditor.action`, which ends it as exactly
// one audit event with the same fields, whatever the end: the resulting status on success, the
// error code on a refusal or an error. A change that touches the store first records its intent
// (what the store will hold), so a crash between the commit and the outcome line leaves a trace
// that start-up reconciliation closes (see README.md "Intent and outcome").
import { randomUUID } from 'node:crypto';
import { AppError, StorageUnavailableError } from '../errors.js';
import type { AuditEvent, AuditLog } from './types.js';

/** Who asked: the key id (never the key) and the request. */
export interface ActionCall {
  actor: { id: string } | null;
  requestId: string | null;
}

/** What an audit line says about an action, filled in as the action learns it. */
export interface AuditFacts {
  skill?: string | null;
  version?: string | null;
  decision?: string | null;
  details: Record<string, unknown>;
}

/** What the store (or the policy, or the key file) will hold once a change commits. */
export type ChangeTarget =
  | { kind: 'skill'; name: string; version: string; status: string }
  | { kind: 'limits'; sha256: string }
  | { kind: 'key'; id: string; present: boolean };

export interface ActionHandle {
  readonly facts: AuditFacts;
  /** Records the intent line; call it right before the commit. Throws (503) when the log is down: nothing commits. */
  intend(targets: ChangeTarget[]): Promise<void>;
}

export const INTENT_OUTCOME = 'intent';

// Errors of a disk that refuses writes: the store fails closed as the audit log does.
const STORAGE_ERRNO = new Set(['ENOSPC', 'EDQUOT', 'EROFS', 'EIO']);

function asStorageError(error: unknown): unknown {
  const errno = (error as NodeJS.ErrnoException | null)?.code;
  if (typeof errno === 'string' && STORAGE_ERRNO.has(errno)) {
    return new StorageUnavailableError(`the store could not be written (${errno}); nothing was acknowledged`, { errno });
  }
  return error;
}

export interface AuditorOptions {
  /** Told about every line once it is on disk (the metrics count what the log holds). */
  onRecorded?: (event: AuditEvent) => void;
}

export class Auditor {
  /** Outcomes of committed changes whose line could not be written: written once the log recovers. */
  private readonly unwritten: AuditEvent[] = [];
  private readonly onRecorded: (event: AuditEvent) => void;

  constructor(private readonly audit: Pick<AuditLog, 'record' | 'writable' | 'onRecovered'>, options: AuditorOptions = {}) {
    this.onRecorded = options.onRecorded ?? (() => undefined);
    audit.onRecovered(() => void this.writeUnwritten());
  }

  /**
   * Runs `work` and records its end. The outcome is `result.outcome`, or the error's code (`internal`
   * for a bug). Nothing runs while the log cannot be written; when the outcome line cannot be
   * written the caller gets 503 `storage_unavailable` instead of the result.
   */
  async action<T extends { outcome: string }>(event: string, call: ActionCall, facts: AuditFacts, work: (handle: ActionHandle) => Promise<T>): Promise<T> {
    await this.assertWritable();
    const startedAt = performance.now();
    const actionId = randomUUID();
    let intended = false;
    const handle: ActionHandle = {
      facts,
      intend: async (targets) => {
        // `<event>.intent`: a filter on the event finds one line per action, its outcome.
        await this.write({ ...this.line(`${event}.intent`, call, facts, INTENT_OUTCOME, startedAt), details: { ...facts.details, action_id: actionId, targets } });
        intended = true;
      },
    };
    let result: T | undefined;
    let failure: unknown;
    let outcome: string;
    try {
      result = await work(handle);
      outcome = result.outcome;
    } catch (error) {
      failure = asStorageError(error);
      outcome = failure instanceof AppError ? failure.code : 'internal';
    }
    const line = this.line(event, call, facts, outcome, startedAt);
    if (intended) line.details = { ...line.details, action_id: actionId };
    try {
      await this.write(line);
    } catch (error) {
      if (intended) this.unwritten.push(line);
      throw error instanceof AppError ? error : new StorageUnavailableError(`the audit log could not be written: ${String(error)}`);
    }
    if (failure !== undefined) throw failure;
    return result as T;
  }

  /** Throws 503 `storage_unavailable` while the log cannot be written: for work accepted now and audited when it ends. */
  async assertWritable(): Promise<void> {
    if (!(await this.audit.writable())) throw new StorageUnavailableError('the audit log cannot be written; nothing was done');
  }

  /**
   * A refusal found before any work (an intent that matches nothing, a bad key, a body that breaks
   * its contract): one event with the error's code (`internal` for a bug), then the error.
   */
  refuse(event: string, call: ActionCall, facts: AuditFacts, error: unknown): Promise<never> {
    return this.action(event, call, facts, () => Promise.reject(error));
  }

  /**
   * An action that ran elsewhere and is over: its one line, with the same fields, the outcome its
   * caller read and the duration from `startedAt` (performance.now()). For the network broker's
   * hops, whose lines are not awaited on the request's path: the caller fails closed itself on the
   * returned promise (no `writable()` probe, no action id, nothing kept for a late write).
   */
  ended(event: string, call: ActionCall, facts: AuditFacts, outcome: string, startedAt: number): Promise<void> {
    return this.write(this.line(event, call, facts, outcome, startedAt));
  }

  /** Records an event that is not a caller's action (start-up reconciliation, repairs). */
  note(event: AuditEvent): Promise<void> {
    return this.write(event);
  }

  private async write(event: AuditEvent): Promise<void> {
    await this.audit.record(event);
    this.onRecorded(event);
  }

  private line(event: string, call: ActionCall, facts: AuditFacts, outcome: string, startedAt: number): AuditEvent {
    return {
      event,
      actor: call.actor?.id ?? null,
      request_id: call.requestId,
      skill: facts.skill ?? null,
      version: facts.version ?? null,
      decision: facts.decision ?? null,
      outcome,
      duration_ms: Math.round(performance.now() - startedAt),
      details: facts.details,
    };
  }

  private async writeUnwritten(): Promise<void> {
    while (this.unwritten.length > 0) {
      const line = this.unwritten[0]!;
      try {
        await this.write({ ...line, details: { ...line.details, written_late: true } });
      } catch {
        return; // still down: the next recovery tries again
      }
      this.unwritten.shift();
    }
  }
}
