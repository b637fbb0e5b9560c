// What a skill asks for, as a reviewer needs to see it: its manifest, the limits it requests against
// the admin's maximum, and its permissions (network origins), with the review's findings about them.
import { Json } from '../common';
import { FindingNote } from '../code';
import type { Finding, LimitPolicy, Limits, SkillVersion } from '../types';

const LIMIT_NAMES: Array<keyof Limits> = ['timeout_ms', 'memory_mb', 'cpus', 'pids', 'output_bytes'];

function RequestedLimits({ skill, policy }: { skill: SkillVersion; policy: LimitPolicy | null }) {
  const asked = skill.limits ?? {};
  return (
    <table class="limits-asked">
      <caption>Limits asked for</caption>
      <thead>
        <tr><th scope="col">limit</th><th scope="col">asked</th>{policy && <th scope="col">admin maximum</th>}</tr>
      </thead>
      <tbody>
        {LIMIT_NAMES.map((name) => {
          const value = asked[name];
          const over = policy !== null && value !== undefined && value > policy.max[name];
          return (
            <tr key={name} class={over ? 'over' : undefined}>
              <th scope="row">{name}</th>
              <td>{value ?? <span class="muted">default</span>}{over && <strong class="over-mark"> above the maximum</strong>}</td>
              {policy && <td>{policy.max[name]}</td>}
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

function Permissions({ permissions }: { permissions: Record<string, unknown> | undefined }) {
  const granted = Object.entries(permissions ?? {}).filter(([, value]) => value !== false && value !== null && !(Array.isArray(value) && value.length === 0));
  return (
    <section aria-labelledby="permissions-heading">
      <h3 id="permissions-heading">Permissions asked for</h3>
      {granted.length === 0 ? <p class="muted">None beyond the default (no network).</p> : (
        <ul class="permissions">
          {granted.map(([name, value]) => (
            <li key={name}>
              <strong>{name}</strong>:{' '}
              {Array.isArray(value) ? <ul>{value.map((v) => <li key={String(v)}><code>{String(v)}</code></li>)}</ul> : <code>{JSON.stringify(value)}</code>}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

export function ManifestView({ skill, policy }: { skill: SkillVersion; policy: LimitPolicy | null }) {
  const manifestFindings: Finding[] = skill.review.findings.filter((f) => f.file === null || !(f.file in skill.files));
  return (
    <section class="manifest" aria-labelledby="manifest-heading">
      <h2 id="manifest-heading">Manifest</h2>
      <dl class="facts">
        <dt>name</dt><dd>{skill.name}</dd>
        <dt>version</dt><dd>{skill.version}</dd>
        <dt>description</dt><dd>{skill.description || <span class="muted">none</span>}</dd>
        <dt>runtime</dt><dd>{skill.runtime}</dd>
        <dt>entrypoint</dt><dd><code>{skill.entrypoint}</code>, handler <code>{skill.handler}</code></dd>
        <dt>tags</dt><dd>{skill.tags.length ? skill.tags.join(', ') : <span class="muted">none</span>}</dd>
      </dl>
      {manifestFindings.length > 0 && (
        <div class="manifest-findings">
          <h3>Findings about the manifest</h3>
          {manifestFindings.map((f, i) => <FindingNote key={i} finding={f} />)}
        </div>
      )}
      <RequestedLimits skill={skill} policy={policy} />
      <Permissions permissions={skill.permissions} />
      {skill.input_schema && <><h3>Input schema</h3><Json value={skill.input_schema} label="Input schema" /></>}
      {skill.output_schema && <><h3>Output schema</h3><Json value={skill.output_schema} label="Output schema" /></>}
    </section>
  );
}
