// Reviews: the skills the control layer escalated, oldest first. Each shows its code with the
// findings at their lines, what it asks for, who created it and when, and takes a decision with a
// reason (required here; it goes to the audit log and the skill's record).
import { useState } from 'preact/hooks';
import { get, post } from '../api';
import { CodeFiles } from '../code';
import { ErrorMessage, Loading, Time, useLoad } from '../common';
import { href, navigate } from '../route';
import type { LimitPolicy, PendingReview, PendingReviews, ReviewDecision, ReviewOutcome, SkillDetail } from '../types';
import { ManifestView } from './manifest';

function Decide({ id, network, onDecided }: { id: string; network: string[]; onDecided: (message: string) => void }) {
  const [reason, setReason] = useState('');
  const [error, setError] = useState<Error | null>(null);
  const [busy, setBusy] = useState(false);
  const decide = async (verdict: 'approve' | 'reject') => {
    if (!reason.trim()) {
      setError(new Error('A reason is required: it goes to the audit log and the review record.'));
      return;
    }
    setBusy(true);
    try {
      // An approval names the origins shown here: if the skill asks for others by now, the service refuses (409).
      const body: ReviewDecision = verdict === 'approve' ? { reason: reason.trim(), network } : { reason: reason.trim() };
      const answer = await post<ReviewOutcome>(`/v1/reviews/${encodeURIComponent(id)}/${verdict}`, body);
      onDecided(`${id} ${verdict === 'approve' ? 'approved' : 'rejected'}: now ${answer.skill.status}.`);
    } catch (thrown) {
      setError(thrown as Error);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="decision" onSubmit={(e) => e.preventDefault()} aria-labelledby="decision-heading">
      <h2 id="decision-heading">Decision</h2>
      <div class="field">
        <label for="reason">Reason (required)</label>
        <textarea id="reason" required rows={3} maxLength={2000} value={reason} onInput={(e) => setReason(e.currentTarget.value)} />
      </div>
      <p class="hint">
        {network.length === 0 ? 'Approving grants no network access.' : <>Approving grants exactly these network origins: {network.map((o, i) => <span key={o}>{i > 0 && ', '}<code>{o}</code></span>)}.</>}
      </p>
      <div class="buttons">
        <button type="button" disabled={busy} onClick={() => decide('approve')}>Approve</button>
        <button type="button" class="danger" disabled={busy} onClick={() => decide('reject')}>Reject</button>
      </div>
      <ErrorMessage error={error} />
    </form>
  );
}

function ReviewDetail({ pending, onDecided }: { pending: PendingReview; onDecided: (message: string) => void }) {
  const { name, version } = pending.skill;
  const detail = useLoad(() => get<SkillDetail>(`/v1/skills/${encodeURIComponent(name)}`), [name]);
  const policy = useLoad(() => get<LimitPolicy>('/v1/admin/limits'), []);
  const skill = detail.data?.versions.find((v) => v.version === version);
  return (
    <article class="review" aria-labelledby="review-heading">
      <h2 id="review-heading">{name}@{version}</h2>
      <p>
        {pending.skill.description} — created by <strong>{pending.created_by ?? 'unknown'}</strong> on <Time iso={pending.created_at} /> ({pending.skill.origin}).
        Decision of the control layer: <strong>{pending.review.decision}</strong>, {pending.review.findings.length} finding(s).
      </p>
      <ErrorMessage error={detail.error} />
      {detail.loading && <Loading what="the skill" />}
      {skill && (
        <div class="review-body">
          <section aria-labelledby="code-heading">
            <h2 id="code-heading">Code</h2>
            <CodeFiles files={skill.files} findings={pending.review.findings} entrypoint={skill.entrypoint} />
          </section>
          <ManifestView skill={skill} policy={policy.data} />
        </div>
      )}
      <Decide id={pending.id} network={pending.network} onDecided={onDecided} />
    </article>
  );
}

export function ReviewsPage({ id }: { id: string | null }) {
  const queue = useLoad(() => get<PendingReviews>('/v1/reviews'), []);
  const [message, setMessage] = useState('');
  const reviews = queue.data?.reviews ?? [];
  const selected = reviews.find((r) => r.id === id) ?? (id === null ? reviews[0] : undefined);
  const decided = (text: string) => {
    setMessage(text);
    queue.reload();
    navigate(href('reviews'));
  };
  return (
    <>
      <h1>Reviews</h1>
      <p role="status" class="notice">{message}</p>
      <ErrorMessage error={queue.error} />
      {queue.loading && !queue.data && <Loading what="the queue" />}
      {queue.data && (
        <div class="split">
          <nav aria-label="Pending reviews, oldest first" class="queue">
            <h2>Pending ({reviews.length})</h2>
            {reviews.length === 0 ? <p class="muted">Nothing waits for a decision.</p> : (
              <ol>
                {reviews.map((r) => (
                  <li key={r.id}>
                    <a href={href('reviews', r.id)} aria-current={r === selected ? 'true' : undefined}>{r.id}</a>
                    <span class="muted"> <Time iso={r.created_at} /></span>
                  </li>
                ))}
              </ol>
            )}
          </nav>
          {selected ? <ReviewDetail key={selected.id} pending={selected} onDecided={decided} /> : id !== null && <p>No pending review {id}.</p>}
        </div>
      )}
    </>
  );
}
