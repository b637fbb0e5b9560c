// Changing the limit policy at run time (PUT /v1/admin/limits): persisted by the policy state,
// audited with the policy before and after. Changes are applied one at a time, so each audited
// `before` is the `after` of the change that preceded it.
import type { AuditLog } from '../audit/index.js';
import type { LimitPolicy, PolicyState } from './policy.js';
import type { CallContext } from './run.js';

export class LimitsAdmin {
  private tail: Promise<unknown> = Promise.resolve();

  constructor(private readonly deps: { policy: PolicyState; audit: AuditLog }) {}

  current(): LimitPolicy {
    return this.deps.policy.limits;
  }

  update(next: LimitPolicy, call: CallContext): Promise<LimitPolicy> {
    const change = this.tail.then(() => this.apply(next, call));
    this.tail = change.catch(() => undefined);
    return change;
  }

  private async apply(next: LimitPolicy, call: CallContext): Promise<LimitPolicy> {
    const { policy, audit } = this.deps;
    const before = structuredClone(policy.limits);
    await policy.setLimits(next);
    const after = policy.limits;
    await audit.record({
      event: 'limits.update',
      actor: call.actor?.id ?? null,
      request_id: call.requestId,
      outcome: 'ok',
      details: { before, after },
    });
    return after;
  }
}
