// Skills: the list with filters (status, origin, tag), and a skill's page: its manifest, files,
// review, digest and last runs; promote and uninstall for admins; the run form for everyone.
import { useState } from 'preact/hooks';
import { get, post, query } from '../api';
import { CodeFiles, FindingNote } from '../code';
import { ErrorMessage, Loading, StatusBadge, Time, useLoad } from '../common';
import { href, navigate } from '../route';
import type { AuditEvents, SkillDetail, SkillList, SkillVersion } from '../types';
import { ManifestView } from './manifest';
import { RunForm } from './run-form';

const STATUSES = ['active', 'draft', 'pending_review', 'blocked'];
const ORIGINS = ['bundled', 'create', 'install', 'upload', 'generate'];

function Filter({ id, label, value, options, onChange }: { id: string; label: string; value: string; options: string[]; onChange: (value: string) => void }) {
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <select id={id} value={value} onChange={(e) => onChange(e.currentTarget.value)}>
        <option value="">any</option>
        {options.map((o) => <option key={o} value={o}>{o.replace('_', ' ')}</option>)}
      </select>
    </div>
  );
}

export function SkillsPage({ params }: { params: URLSearchParams }) {
  const list = useLoad(() => get<SkillList>('/v1/skills'), []);
  const filter = { status: params.get('status') ?? '', origin: params.get('origin') ?? '', tag: params.get('tag') ?? '' };
  const setFilter = (name: keyof typeof filter) => (value: string) => navigate(href('skills', null, { ...filter, [name]: value }));
  const skills = list.data?.skills ?? [];
  const tags = [...new Set(skills.flatMap((s) => s.tags))].sort();
  const shown = skills.filter((s) => (!filter.status || s.status === filter.status) && (!filter.origin || s.origin === filter.origin) && (!filter.tag || s.tags.includes(filter.tag)));
  return (
    <>
      <h1>Skills</h1>
      <form class="filters" aria-label="Filters" onSubmit={(e) => e.preventDefault()}>
        <Filter id="filter-status" label="Status" value={filter.status} options={STATUSES} onChange={setFilter('status')} />
        <Filter id="filter-origin" label="Origin" value={filter.origin} options={ORIGINS} onChange={setFilter('origin')} />
        <Filter id="filter-tag" label="Tag" value={filter.tag} options={tags} onChange={setFilter('tag')} />
      </form>
      <ErrorMessage error={list.error} />
      {list.loading && !list.data && <Loading what="skills" />}
      {list.data && (
        <table class="skills">
          <caption>{shown.length} of {skills.length} skill versions</caption>
          <thead>
            <tr><th scope="col">name</th><th scope="col">version</th><th scope="col">status</th><th scope="col">origin</th><th scope="col">tags</th><th scope="col">description</th><th scope="col">updated</th></tr>
          </thead>
          <tbody>
            {shown.map((s) => (
              <tr key={`${s.name}@${s.version}`} data-skill={s.name}>
                <th scope="row"><a href={href('skills', s.name, { version: s.version })}>{s.name}</a></th>
                <td>{s.version}</td>
                <td><StatusBadge status={s.status} /></td>
                <td>{s.origin}</td>
                <td>{s.tags.join(', ')}</td>
                <td>{s.description}</td>
                <td><Time iso={s.updated_at} /></td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

function LastRuns({ name }: { name: string }) {
  const runs = useLoad(() => get<AuditEvents>(`/v1/audit${query({ skill: name, event: 'run', limit: 10 })}`), [name]);
  return (
    <section aria-labelledby="runs-heading">
      <h2 id="runs-heading">Last runs</h2>
      <ErrorMessage error={runs.error} />
      {runs.data && (runs.data.events.length === 0 ? <p class="muted">No runs yet.</p> : (
        <table class="runs">
          <thead><tr><th scope="col">time</th><th scope="col">version</th><th scope="col">by</th><th scope="col">outcome</th><th scope="col">duration</th></tr></thead>
          <tbody>
            {runs.data.events.map((e) => (
              <tr key={e.seq}>
                <td><Time iso={e.time} /></td><td>{e.version}</td><td>{e.actor}</td>
                <td><span class={`badge run-${e.outcome}`}>{e.outcome}</span></td><td>{e.duration_ms ?? '—'} ms</td>
              </tr>
            ))}
          </tbody>
        </table>
      ))}
    </section>
  );
}

function AdminActions({ skill, onChanged }: { skill: SkillVersion; onChanged: (message: string, gone?: boolean) => void }) {
  const [error, setError] = useState<Error | null>(null);
  const [confirming, setConfirming] = useState(false);
  const act = async (work: () => Promise<void>) => {
    setError(null);
    try {
      await work();
    } catch (thrown) {
      setError(thrown as Error);
    }
  };
  const ref = { name: skill.name, version: skill.version };
  return (
    <section aria-labelledby="actions-heading" class="actions">
      <h2 id="actions-heading">Actions</h2>
      <div class="buttons">
        {skill.status === 'draft' && (
          <button type="button" onClick={() => act(async () => {
            await post('/v1/skills/promote', ref);
            onChanged(`${skill.name}@${skill.version} is active.`);
          })}>Promote</button>
        )}
        {!confirming ? <button type="button" class="danger" onClick={() => setConfirming(true)}>Uninstall {skill.version}…</button> : (
          <>
            <button type="button" class="danger" onClick={() => act(async () => {
              await post('/v1/skills/uninstall', ref);
              onChanged(`${skill.name}@${skill.version} was uninstalled.`, true);
            })}>Uninstall {skill.name}@{skill.version} now</button>
            <button type="button" class="secondary" onClick={() => setConfirming(false)}>Keep it</button>
          </>
        )}
      </div>
      <ErrorMessage error={error} />
    </section>
  );
}

export function SkillPage({ name, version, admin }: { name: string; version: string | null; admin: boolean }) {
  const detail = useLoad(() => get<SkillDetail>(`/v1/skills/${encodeURIComponent(name)}`), [name]);
  const [message, setMessage] = useState('');
  const versions = detail.data?.versions ?? [];
  const skill = versions.find((v) => v.version === version) ?? versions[0];
  const changed = (text: string, gone = false) => {
    setMessage(text);
    if (gone) navigate(href('skills'));
    else detail.reload();
  };
  return (
    <>
      <h1>{name}</h1>
      <p role="status" class="notice">{message}</p>
      <ErrorMessage error={detail.error} />
      {detail.loading && !detail.data && <Loading what={name} />}
      {skill && (
        <>
          {versions.length > 1 && (
            <div class="field inline">
              <label for="version">Version</label>
              <select id="version" value={skill.version} onChange={(e) => navigate(href('skills', name, { version: e.currentTarget.value }))}>
                {versions.map((v) => <option key={v.version} value={v.version}>{v.version} ({v.status})</option>)}
              </select>
            </div>
          )}
          <dl class="facts summary">
            <dt>status</dt><dd><StatusBadge status={skill.status} /></dd>
            <dt>origin</dt><dd>{skill.origin}</dd>
            <dt>created</dt><dd><Time iso={skill.created_at} /> by {skill.created_by ?? <span class="muted">the service (bundled)</span>}</dd>
            <dt>digest</dt><dd><code class="digest">{skill.digest}</code></dd>
          </dl>
          {skill.status === 'active' && <RunForm key={skill.version} name={skill.name} version={skill.version} schema={skill.input_schema} />}
          {admin && <AdminActions skill={skill} onChanged={changed} />}
          <section aria-labelledby="review-heading">
            <h2 id="review-heading">Review</h2>
            <p>Decision of the control layer: <strong>{skill.review.decision}</strong>{skill.review.findings.length === 0 && ', no findings'}.</p>
            {skill.review_decision && (
              <p class="human-decision">
                {skill.review_decision.verdict === 'approve' ? 'Approved' : 'Rejected'} by <strong>{skill.review_decision.actor ?? 'unknown'}</strong> on <Time iso={skill.review_decision.decided_at} />:
                {' '}<q>{skill.review_decision.reason ?? 'no reason given'}</q>
              </p>
            )}
            {skill.approved_network && (
              <p>Network origins approved: {skill.approved_network.map((o, i) => <span key={o}>{i > 0 && ', '}<code>{o}</code></span>)}</p>
            )}
            {skill.review.findings.map((f, i) => <FindingNote key={i} finding={f} />)}
          </section>
          <ManifestView skill={skill} policy={null} />
          <section aria-labelledby="files-heading">
            <h2 id="files-heading">Files</h2>
            <CodeFiles files={skill.files} findings={skill.review.findings} entrypoint={skill.entrypoint} />
          </section>
          {admin && <LastRuns name={name} />}
        </>
      )}
    </>
  );
}
