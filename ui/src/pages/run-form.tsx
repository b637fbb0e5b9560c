// A run form generated from the skill's input_schema: one labelled field per property (text, number,
// checkbox, choice, or JSON for nested values), or one JSON field when the schema says no more. The
// run streams (NDJSON): log lines appear as the skill writes them, the result below.
import { useState } from 'preact/hooks';
import { runStreaming } from '../api';
import { ErrorMessage, Json } from '../common';
import type { InputSchema, RunEvent } from '../types';

type FieldKind = 'text' | 'number' | 'integer' | 'boolean' | 'choice' | 'json';

interface Field {
  name: string;
  kind: FieldKind;
  required: boolean;
  /** The property's description, or what to type. */
  hint?: string;
  /** The values of a choice (the property's enum). */
  options: unknown[];
}

type RunResult = Extract<RunEvent, { type: 'result' }>;

/** A JSON Schema object; an author's schema may also hold true or false where a schema goes. */
function isSchemaObject(value: unknown): value is InputSchema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function kindOf(schema: InputSchema): FieldKind {
  if (Array.isArray(schema.enum)) return 'choice';
  switch (schema.type) {
    case 'string': return 'text';
    case 'number': return 'number';
    case 'integer': return 'integer';
    case 'boolean': return 'boolean';
    default: return 'json';
  }
}

function fieldOf(name: string, property: unknown, required: boolean): Field {
  const schema = isSchemaObject(property) ? property : {};
  const kind = kindOf(schema);
  const description = typeof schema.description === 'string' ? schema.description : undefined;
  return { name, kind, required, hint: description ?? (kind === 'json' ? 'JSON' : undefined), options: Array.isArray(schema.enum) ? schema.enum : [] };
}

/** The fields of an object schema with properties, or null when the input is better typed as JSON. */
function fieldsOf(schema: InputSchema | undefined): Field[] | null {
  if (!schema || schema.type !== 'object' || !isSchemaObject(schema.properties)) return null;
  const required = new Set(Array.isArray(schema.required) ? schema.required : []);
  return Object.entries(schema.properties).map(([name, property]) => fieldOf(name, property, required.has(name)));
}

const JSON_INPUT: Field = { name: 'input', kind: 'json', required: true, hint: 'The input, as JSON', options: [] };

function valueOf(field: Field, text: string): unknown {
  switch (field.kind) {
    case 'text': return text;
    case 'number':
    case 'integer': {
      const number = Number(text);
      if (text.trim() === '' || Number.isNaN(number)) throw new Error(`${field.name} must be a number`);
      return number;
    }
    case 'boolean': return text === 'true';
    case 'choice': return field.options[Number(text)];
    case 'json':
      try {
        return JSON.parse(text);
      } catch {
        throw new Error(`${field.name} must be JSON`);
      }
  }
}

function FieldInput({ field, value, onChange }: { field: Field; value: string; onChange: (value: string) => void }) {
  const id = `input-${field.name}`;
  const hint = field.hint;
  const described = hint ? `${id}-hint` : undefined;
  const label = <label for={id}>{field.name}{field.required ? ' (required)' : ''}</label>;
  let control;
  if (field.kind === 'boolean') {
    control = <input id={id} type="checkbox" checked={value === 'true'} onChange={(e) => onChange(String(e.currentTarget.checked))} aria-describedby={described} />;
  } else if (field.kind === 'choice') {
    control = (
      <select id={id} required={field.required} value={value} onChange={(e) => onChange(e.currentTarget.value)} aria-describedby={described}>
        <option value="">—</option>
        {field.options.map((option, i) => <option key={i} value={String(i)}>{JSON.stringify(option)}</option>)}
      </select>
    );
  } else if (field.kind === 'json') {
    control = <textarea id={id} rows={3} required={field.required} value={value} onInput={(e) => onChange(e.currentTarget.value)} aria-describedby={described} />;
  } else {
    const numeric = field.kind !== 'text';
    control = (
      <input id={id} type={numeric ? 'number' : 'text'} step={field.kind === 'integer' ? 1 : 'any'} required={field.required}
        value={value} onInput={(e) => onChange(e.currentTarget.value)} aria-describedby={described} />
    );
  }
  return (
    <div class="field">
      {label}
      {control}
      {hint && <small id={described}>{hint}</small>}
    </div>
  );
}

export function RunForm({ name, version, schema }: { name: string; version: string; schema: InputSchema | undefined }) {
  const fields = fieldsOf(schema);
  const [values, setValues] = useState<Record<string, string>>({});
  const [logs, setLogs] = useState<Array<{ stream: string; data: string }>>([]);
  const [result, setResult] = useState<RunResult | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const [running, setRunning] = useState(false);

  const input = (): unknown => {
    if (!fields) return valueOf(JSON_INPUT, values.input ?? '{}');
    const object: Record<string, unknown> = {};
    for (const field of fields) {
      const text = values[field.name] ?? '';
      if (text === '' && field.kind !== 'boolean') continue;
      object[field.name] = valueOf(field, text);
    }
    return object;
  };

  const submit = async (event: Event) => {
    event.preventDefault();
    setLogs([]);
    setResult(null);
    setError(null);
    setRunning(true);
    try {
      await runStreaming({ skill: name, version, input: input() }, (line) => {
        if (line.type === 'log') setLogs((all) => [...all, { stream: line.stream, data: line.data }]);
        else if (line.type === 'result') setResult(line);
        else setError(new Error(line.error.message));
      });
    } catch (thrown) {
      setError(thrown as Error);
    } finally {
      setRunning(false);
    }
  };

  const set = (field: string) => (value: string) => setValues((all) => ({ ...all, [field]: value }));
  return (
    <section class="run" aria-labelledby="run-heading">
      <h2 id="run-heading">Run {name}@{version}</h2>
      <form onSubmit={submit}>
        {fields
          ? fields.map((field) => <FieldInput key={field.name} field={field} value={values[field.name] ?? ''} onChange={set(field.name)} />)
          : <FieldInput field={JSON_INPUT} value={values.input ?? '{}'} onChange={set('input')} />}
        <button type="submit" disabled={running}>{running ? 'Running…' : 'Run'}</button>
      </form>
      <ErrorMessage error={error} />
      <h3 id="logs-heading">Logs</h3>
      <pre class="logs" aria-labelledby="logs-heading" aria-live="polite" tabIndex={0}>
        {logs.length === 0 ? <span class="muted">{running ? 'waiting for output…' : 'no output'}</span>
          : logs.map((l, i) => <span key={i} class={`log-${l.stream}`}>{l.data}</span>)}
      </pre>
      {result && (
        <div class="run-result" role="status">
          <h3>Result: <span class={`badge run-${result.status}`}>{result.status}</span> <span class="muted">in {result.duration_ms} ms</span></h3>
          <Json value={result.result} label="Result" />
          {result.error !== null && <Json value={result.error} label="Error" />}
        </div>
      )}
    </section>
  );
}
