// Limits: the admin's defaults and maxima, concurrency, queue and queue timeout, checked here
// against the same contracts the service checks (contracts/limits.json, limit_policy.json) before
// PUT /v1/admin/limits.
import { useEffect, useState } from 'preact/hooks';
import limitsContract from '../../../contracts/limits.json';
import policyContract from '../../../contracts/limit_policy.json';
import { get, put } from '../api';
import { ErrorMessage, Loading, useLoad } from '../common';
import { href } from '../route';
import type { LimitPolicy, Limits } from '../types';

interface Bounds {
  type: string;
  minimum?: number;
  exclusiveMinimum?: number;
  maximum?: number;
}

const LIMIT_BOUNDS = limitsContract.properties as Record<keyof Limits, Bounds>;
const POLICY_BOUNDS = policyContract.properties as unknown as Record<'concurrency' | 'queue' | 'queue_timeout_ms', Bounds>;
const LIMIT_NAMES = Object.keys(LIMIT_BOUNDS) as Array<keyof Limits>;

/** The problem with one value under its contract's bounds, or null. */
function boundsProblem(label: string, text: string, bounds: Bounds): string | null {
  const value = Number(text);
  if (text.trim() === '' || Number.isNaN(value)) return `${label} must be a number`;
  if (bounds.type === 'integer' && !Number.isInteger(value)) return `${label} must be a whole number`;
  if (bounds.minimum !== undefined && value < bounds.minimum) return `${label} must be at least ${bounds.minimum}`;
  if (bounds.exclusiveMinimum !== undefined && value <= bounds.exclusiveMinimum) return `${label} must be above ${bounds.exclusiveMinimum}`;
  if (bounds.maximum !== undefined && value > bounds.maximum) return `${label} must be at most ${bounds.maximum}`;
  return null;
}

type Form = Record<string, string>;

function formOf(policy: LimitPolicy): Form {
  const form: Form = {
    concurrency: String(policy.concurrency),
    queue: String(policy.queue),
    queue_timeout_ms: policy.queue_timeout_ms === undefined ? '' : String(policy.queue_timeout_ms),
  };
  for (const name of LIMIT_NAMES) {
    form[`defaults.${name}`] = String(policy.defaults[name]);
    form[`max.${name}`] = String(policy.max[name]);
  }
  return form;
}

function problemsOf(form: Form): Record<string, string> {
  const problems: Record<string, string> = {};
  for (const name of LIMIT_NAMES) {
    for (const group of ['defaults', 'max']) {
      const problem = boundsProblem(`${group}.${name}`, form[`${group}.${name}`] ?? '', LIMIT_BOUNDS[name]);
      if (problem) problems[`${group}.${name}`] = problem;
    }
    if (!problems[`defaults.${name}`] && !problems[`max.${name}`] && Number(form[`defaults.${name}`]) > Number(form[`max.${name}`])) {
      problems[`defaults.${name}`] = `defaults.${name} is above max.${name}`;
    }
  }
  for (const name of ['concurrency', 'queue'] as const) {
    const problem = boundsProblem(name, form[name] ?? '', POLICY_BOUNDS[name]);
    if (problem) problems[name] = problem;
  }
  // Optional in the policy: left empty, the service's default applies.
  const queueTimeout = form.queue_timeout_ms ?? '';
  const queueTimeoutProblem = queueTimeout.trim() === '' ? null : boundsProblem('queue_timeout_ms', queueTimeout, POLICY_BOUNDS.queue_timeout_ms);
  if (queueTimeoutProblem) problems.queue_timeout_ms = queueTimeoutProblem;
  return problems;
}

function policyOf(form: Form): LimitPolicy {
  const group = (prefix: string): Limits => {
    const value = (name: keyof Limits) => Number(form[`${prefix}.${name}`]);
    return { timeout_ms: value('timeout_ms'), memory_mb: value('memory_mb'), cpus: value('cpus'), pids: value('pids'), output_bytes: value('output_bytes') };
  };
  const policy: LimitPolicy = { defaults: group('defaults'), max: group('max'), concurrency: Number(form.concurrency), queue: Number(form.queue) };
  if (form.queue_timeout_ms?.trim()) policy.queue_timeout_ms = Number(form.queue_timeout_ms);
  return policy;
}

function NumberField({ name, label, context, form, problems, onChange }: { name: string; label: string; context?: string; form: Form; problems: Record<string, string>; onChange: (name: string, value: string) => void }) {
  const id = `limit-${name.replace('.', '-')}`;
  const problem = problems[name];
  return (
    <div class="field">
      <label for={id}>{context && <span class="visually-hidden">{context} </span>}{label}</label>
      <input id={id} type="text" inputMode="decimal" value={form[name] ?? ''} aria-invalid={problem ? 'true' : undefined}
        aria-describedby={problem ? `${id}-problem` : undefined} onInput={(e) => onChange(name, e.currentTarget.value)} />
      {problem && <small id={`${id}-problem`} class="field-problem">{problem}</small>}
    </div>
  );
}

export function LimitsPage() {
  const current = useLoad(() => get<LimitPolicy>('/v1/admin/limits'), []);
  const [form, setForm] = useState<Form | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const [saved, setSaved] = useState(false);
  const [tried, setTried] = useState(false);
  useEffect(() => {
    if (current.data) setForm(formOf(current.data));
  }, [current.data]);
  if (current.error) return <><h1>Limits</h1><ErrorMessage error={current.error} /></>;
  if (!form) return <><h1>Limits</h1><Loading what="the limit policy" /></>;
  const problems = problemsOf(form);
  const shownProblems = tried ? problems : {};
  const change = (name: string, value: string) => {
    setSaved(false);
    setForm({ ...form, [name]: value });
  };
  const save = async (event: Event) => {
    event.preventDefault();
    setTried(true);
    setError(null);
    if (Object.keys(problems).length > 0) return;
    try {
      setForm(formOf(await put<LimitPolicy>('/v1/admin/limits', policyOf(form))));
      setSaved(true);
      setTried(false);
    } catch (thrown) {
      setError(thrown as Error);
    }
  };
  return (
    <>
      <h1>Limits</h1>
      <p>Runs take, per limit, the request's value, else the manifest's, else the default; a request above the maximum is refused, a manifest above it is escalated for review.</p>
      <form class="limits" onSubmit={save} noValidate>
        <div class="limit-groups">
          {(['defaults', 'max'] as const).map((group) => (
            <fieldset key={group}>
              <legend>{group === 'defaults' ? 'Defaults' : 'Maxima'}</legend>
              {LIMIT_NAMES.map((name) => (
                <NumberField key={name} name={`${group}.${name}`} label={name} context={group === 'defaults' ? 'default' : 'maximum'} form={form} problems={shownProblems} onChange={change} />
              ))}
            </fieldset>
          ))}
          <fieldset>
            <legend>Admission</legend>
            <NumberField name="concurrency" label="concurrency (runs at once)" form={form} problems={shownProblems} onChange={change} />
            <NumberField name="queue" label="queue (runs waiting)" form={form} problems={shownProblems} onChange={change} />
            <NumberField name="queue_timeout_ms" label="queue_timeout_ms (longest wait for a slot)" form={form} problems={shownProblems} onChange={change} />
          </fieldset>
        </div>
        <button type="submit">Save limits</button>
        {tried && Object.keys(problems).length > 0 && <p class="error" role="alert">Nothing was saved: {Object.keys(problems).length} value(s) to correct.</p>}
      </form>
      <ErrorMessage error={error} />
      <p role="status" class="notice">
        {saved && <>Saved. The change is in the <a href={href('audit', null, { event: 'limits.update' })}>audit log</a>.</>}
      </p>
    </>
  );
}
