// Human decisions on escalations (SPEC §3 reviews, §4 ESCALATE): an admin lists the skills pending
// review and approves (the skill becomes active) or rejects (it is kept as `blocked`, never runs).
import type { AuditFacts, Auditor } from '../audit/index.js';
import { ConflictError, NotFoundError, ValidationError } from '../errors.js';
import type { Contract } from '../contracts/index.js';
import { sameOrigins } from '../egress/index.js';
import type { ReviewDecision, SkillRecord, SkillStore } from '../store/index.js';
import type { CallContext } from './run.js';

/** A skill waiting for an admin's decision, as GET /v1/reviews shows it. */
export type PendingReview = Contract<'pending_reviews.json'>['reviews'][number];

export type ReviewVerdict = 'approve' | 'reject';

export function reviewId(record: Pick<SkillRecord, 'name' | 'version'>): string {
  return `${record.name}@${record.version}`;
}

export class ReviewService {
  constructor(private readonly deps: { store: SkillStore; auditor: Auditor }) {}

  async pending(): Promise<PendingReview[]> {
    const records = this.deps.store
      .list()
      .filter((r) => r.status === 'pending_review')
      .sort((a, b) => a.created_at.localeCompare(b.created_at));
    return Promise.all(records.map(async (r) => ({
      id: reviewId(r),
      skill: { name: r.name, version: r.version, description: r.description, origin: r.origin },
      review: r.review,
      network: await this.requestedNetwork(r),
      created_at: r.created_at,
      created_by: r.created_by ?? null,
    })));
  }

  private async requestedNetwork(record: SkillRecord): Promise<string[]> {
    const { manifest } = await this.deps.store.read(record);
    return manifest.permissions?.network ?? [];
  }

  /**
   * An approval grants exactly the origins the manifest lists; an admin who names them (`network`)
   * must name that list, so a manifest that changed under the admin's eyes is not approved blind.
   */
  private async approval(id: string, record: SkillRecord, confirmed: string[] | undefined): Promise<Pick<SkillRecord, 'approved_network'>> {
    const network = await this.requestedNetwork(record);
    if (confirmed !== undefined && !sameOrigins(confirmed, network)) {
      throw new ConflictError(`${id} asks for other network origins than the approval names`, { id, requested: network, approved: confirmed });
    }
    return network.length > 0 ? { approved_network: network } : {};
  }

  async decide(id: string, verdict: ReviewVerdict, call: CallContext & { reason?: string; network?: string[] }): Promise<Contract<'review_outcome.json'>> {
    const facts: AuditFacts = { details: call.reason ? { reason: call.reason } : {} };
    const { answer } = await this.deps.auditor.action(`review.${verdict}`, call, facts, async (act) => {
      const match = /^([a-z][a-z0-9-]{0,62})@([0-9A-Za-z.+-]{1,64})$/.exec(id);
      if (!match) {
        facts.details.id = id.slice(0, 200);
        throw new ValidationError('a review id is <name>@<version>', { id });
      }
      const [, name, version] = match as unknown as [string, string, string];
      facts.skill = name;
      facts.version = version;
      const record = this.deps.store.find(name, version);
      if (!record) throw new NotFoundError(`no review ${id}`, { id });
      facts.decision = record.review.decision;
      if (record.status !== 'pending_review') throw new ConflictError(`${id} is ${record.status}, not pending review`, { id, status: record.status });
      const approval = verdict === 'approve' ? await this.approval(id, record, call.network) : {};
      if (approval.approved_network) facts.details.network = approval.approved_network;
      const decision: ReviewDecision = { verdict, reason: call.reason ?? null, actor: call.actor?.id ?? null, decided_at: new Date().toISOString() };
      const status = verdict === 'approve' ? 'active' : 'blocked';
      await act.intend([{ kind: 'skill', name, version, status }]);
      const updated = await this.deps.store.setStatus(name, version, status, { ...approval, review_decision: decision });
      return { answer: { id, skill: { name, version, status: updated.status }, review_decision: decision, ...approval }, outcome: updated.status };
    });
    return answer;
  }
}
