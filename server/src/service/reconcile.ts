// Start-up reconciliation of the audit log with what the store holds: an intent that no outcome
// closes is a change a crash cut short between its intent line and its outcome line. Whether it
// committed is read from the store (after the store's own repair), the policy and the keys; one
// `reconcile` event per intent says so (rolled_forward: the change is in; rolled_back: it is not),
// then `service.start` marks where the next scan stops. After any crash, every committed change has
// an audit line that names it.
import { SERVICE_START_EVENT, type AuditEntry, type Auditor, type AuditLog, type ChangeTarget } from '../audit/index.js';
import type { SkillStore } from '../store/index.js';
import { limitsDigest, type PolicyState } from './policy.js';

export interface ReconcileDeps {
  audit: Pick<AuditLog, 'openIntents'>;
  auditor: Auditor;
  store: Pick<SkillStore, 'find'>;
  policy: Pick<PolicyState, 'limits'>;
  keys: { has(id: string): boolean };
}

export interface ReconcileReport {
  rolledForward: number;
  rolledBack: number;
}

function holds(target: ChangeTarget, deps: ReconcileDeps): boolean {
  switch (target.kind) {
    case 'skill':
      return (deps.store.find(target.name, target.version)?.status ?? 'absent') === target.status;
    case 'limits':
      return limitsDigest(deps.policy.limits) === target.sha256;
    case 'key':
      return deps.keys.has(target.id) === target.present;
  }
}

function targetsOf(intent: AuditEntry): ChangeTarget[] {
  const targets = intent.details?.targets;
  return Array.isArray(targets) ? (targets as ChangeTarget[]) : [];
}

export async function reconcileIntents(deps: ReconcileDeps): Promise<ReconcileReport> {
  const report: ReconcileReport = { rolledForward: 0, rolledBack: 0 };
  for (const intent of await deps.audit.openIntents()) {
    const targets = targetsOf(intent);
    const committed = targets.length > 0 && targets.every((target) => holds(target, deps));
    if (committed) report.rolledForward += 1;
    else report.rolledBack += 1;
    await deps.auditor.note({
      event: 'reconcile',
      actor: intent.actor,
      request_id: intent.request_id,
      skill: intent.skill ?? null,
      version: intent.version ?? null,
      decision: intent.decision ?? null,
      outcome: committed ? 'rolled_forward' : 'rolled_back',
      details: { action_id: intent.details?.action_id, action: intent.event.replace(/\.intent$/, ''), intent_seq: intent.seq, targets },
    });
  }
  await deps.auditor.note({ event: SERVICE_START_EVENT, actor: null, request_id: null, outcome: 'ok', details: { ...report } });
  return report;
}
