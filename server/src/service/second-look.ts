// The control layer's second look at a stored skill (SPEC §4: "again before every run"), shared by
// run and promote: the files must be the reviewed ones, and the policy in force must let them pass.
import type { ControlLayer } from '../control/index.js';
import type { Review } from '../control/index.js';
import { BlockedError } from '../errors.js';
import type { StoredSkill } from '../store/index.js';
import type { PolicyState } from './policy.js';

const DIGEST_MISMATCH = 'digest-mismatch';

/**
 * The review under the policy in force; files that differ from the reviewed ones (the review's own
 * digest against the stored one) are a BLOCK of their own.
 */
export async function reviewAgain(control: Pick<ControlLayer, 'review'>, policy: Pick<PolicyState, 'controlPolicy'>, skill: StoredSkill): Promise<Review> {
  const review = await control.review(skill, policy.controlPolicy());
  if (review.digest === skill.record.digest) return review;
  return {
    decision: 'BLOCK',
    findings: [{ rule: DIGEST_MISMATCH, severity: 'block', message: 'the files on disk differ from the reviewed files', file: null, line: null, column: null }],
    digest: review.digest,
  };
}

/**
 * An active skill whose review escalated was approved by an admin: the same escalations do not stop
 * it again. One the admin never saw (the policy changed since) does.
 */
function escalationApproved(now: Review, approved: Review): boolean {
  if (approved.decision !== 'ESCALATE') return false;
  const seen = new Set(approved.findings.filter((f) => f.severity === 'escalate').map((f) => f.rule));
  return now.findings.filter((f) => f.severity === 'escalate').every((f) => seen.has(f.rule));
}

/** 422 blocked, with the findings, unless the second look lets the skill run. */
export function assertMayRun(skill: StoredSkill, review: Review): void {
  if (review.decision !== 'BLOCK' && (review.decision !== 'ESCALATE' || escalationApproved(review, skill.record.review))) return;
  const { name, version } = skill.record;
  const message = review.findings[0]?.rule === DIGEST_MISMATCH
    ? `skill ${name}@${version} changed on disk since its review and does not run`
    : `skill ${name}@${version} does not pass the policy in force (${review.decision})`;
  throw new BlockedError(message, { review });
}
