// Audit: events newest first, filtered by actor, event, skill and time, paged by seq; above them the
// chain's state as scripts/verify-audit computes it (GET /v1/audit/verify).
import { useState } from 'preact/hooks';
import { get, query } from '../api';
import { ErrorMessage, Loading, Time, useLoad } from '../common';
import { href, navigate } from '../route';
import type { AuditEvents, ChainReport } from '../types';

const PAGE_SIZE = 50;
const FILTERS = ['actor', 'event', 'skill', 'since', 'until'] as const;
type FilterName = (typeof FILTERS)[number];

function ChainState() {
  const report = useLoad(() => get<ChainReport>('/v1/audit/verify'), []);
  if (report.error) return <ErrorMessage error={report.error} />;
  if (!report.data) return <Loading what="the chain's state" />;
  const { ok, entries, failure, files } = report.data;
  return (
    <p class={ok ? 'chain chain-ok' : 'chain chain-bad'} role="status" data-chain={ok ? 'intact' : 'broken'}>
      {ok
        ? <>Chain intact: {entries} entries in {files.length} file(s) verified.</>
        : <>Chain broken at {failure!.file} line {failure!.line}: {failure!.message} ({failure!.kind}).</>}
      {' '}<button type="button" class="secondary" onClick={report.reload}>Verify again</button>
    </p>
  );
}

/** A datetime-local value (local time, no offset) as an RFC 3339 instant, or the text as given. */
function instant(value: string): string | undefined {
  if (!value) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? value : date.toISOString();
}

function Details({ details }: { details: Record<string, unknown> | undefined }) {
  if (!details || Object.keys(details).length === 0) return null;
  const { reason, ...rest } = details;
  return (
    <>
      {typeof reason === 'string' && <div class="reason">reason: <q>{reason}</q></div>}
      {Object.keys(rest).length > 0 && <code class="details">{JSON.stringify(rest)}</code>}
    </>
  );
}

export function AuditPage({ params }: { params: URLSearchParams }) {
  const filters: Record<FilterName, string> = Object.fromEntries(FILTERS.map((f) => [f, params.get(f) ?? ''])) as Record<FilterName, string>;
  const before = params.get('before') ?? '';
  const [draft, setDraft] = useState(filters);
  const events = useLoad(
    () => get<AuditEvents>(`/v1/audit${query({ ...filters, since: instant(filters.since), until: instant(filters.until), before, limit: PAGE_SIZE })}`),
    [params.toString()],
  );
  const apply = (event: Event) => {
    event.preventDefault();
    navigate(href('audit', null, draft));
  };
  const list = events.data?.events ?? [];
  const last = list[list.length - 1];
  return (
    <>
      <h1>Audit</h1>
      <ChainState />
      <form class="filters" onSubmit={apply} aria-label="Filters">
        {FILTERS.map((name) => (
          <div class="field" key={name}>
            <label for={`audit-${name}`}>{name === 'since' ? 'From' : name === 'until' ? 'To' : name[0]!.toUpperCase() + name.slice(1)}</label>
            <input id={`audit-${name}`} type={name === 'since' || name === 'until' ? 'datetime-local' : 'text'} value={draft[name]}
              onInput={(e) => setDraft({ ...draft, [name]: e.currentTarget.value })} />
          </div>
        ))}
        <button type="submit">Filter</button>
      </form>
      <ErrorMessage error={events.error} />
      {events.loading && !events.data && <Loading what="events" />}
      {events.data && (
        <>
          <table class="audit">
            <caption>{list.length} event(s), newest first{before ? `, before seq ${before}` : ''}</caption>
            <thead>
              <tr><th scope="col">seq</th><th scope="col">time</th><th scope="col">event</th><th scope="col">actor</th><th scope="col">skill</th><th scope="col">decision</th><th scope="col">outcome</th><th scope="col">details</th></tr>
            </thead>
            <tbody>
              {list.map((e) => (
                <tr key={e.seq} data-event={e.event}>
                  <td>{e.seq}</td><td><Time iso={e.time} /></td><td>{e.event}</td><td>{e.actor ?? '—'}</td>
                  <td>{e.skill ? `${e.skill}${e.version ? `@${e.version}` : ''}` : '—'}</td><td>{e.decision ?? '—'}</td><td>{e.outcome}</td>
                  <td><Details details={e.details} /></td>
                </tr>
              ))}
            </tbody>
          </table>
          <nav class="pager" aria-label="Pages of events">
            {before && <a href={href('audit', null, filters)}>Newest</a>}
            {last && list.length === PAGE_SIZE && <a href={href('audit', null, { ...filters, before: String(last.seq) })}>Older</a>}
          </nav>
        </>
      )}
    </>
  );
}
