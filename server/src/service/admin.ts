// Changing the limit policy at run time (PUT /v1/admin/limits): checked, persisted by the policy
// state, audited with the policy before and after (a refused change too). Changes are applied one at
// a time, so each audited `before` is the `after` of the change that preceded it.
import type { AuditFacts, Auditor } from '../audit/index.js';
import type { Contracts } from '../contracts/index.js';
import { limitsDigest, PolicyState, type LimitPolicy } from './policy.js';
import type { CallContext } from './run.js';

export class LimitsAdmin {
  private tail: Promise<unknown> = Promise.resolve();

  constructor(private readonly deps: { policy: PolicyState; auditor: Auditor; contracts: Contracts }) {}

  current(): LimitPolicy {
    return this.deps.policy.limits;
  }

  /** `body` is the request as sent: a body that breaks the contract is a refused change, audited as one. */
  update(body: unknown, call: CallContext): Promise<LimitPolicy> {
    const change = this.tail.then(() => this.apply(body, call));
    this.tail = change.catch(() => undefined);
    return change;
  }

  private async apply(body: unknown, call: CallContext): Promise<LimitPolicy> {
    const { policy, auditor, contracts } = this.deps;
    const facts: AuditFacts = { details: { before: structuredClone(policy.limits) } };
    const { after } = await auditor.action('limits.update', call, facts, async (act) => {
      const next: LimitPolicy = contracts.assert('limit_policy.json', body);
      PolicyState.check(next);
      await act.intend([{ kind: 'limits', sha256: limitsDigest(next) }]);
      await policy.setLimits(next);
      facts.details.after = policy.limits;
      return { after: policy.limits, outcome: 'ok' };
    });
    return after;
  }
}
