// Small pieces every page uses: loading state, error messages, dates, status badges.
import { useCallback, useEffect, useState } from 'preact/hooks';
import { ApiError } from './api';

export interface Loaded<T> {
  data: T | null;
  error: Error | null;
  loading: boolean;
  reload: () => void;
}

/** Runs `load` now and whenever `deps` change; `reload` runs it again. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const [state, setState] = useState<{ data: T | null; error: Error | null; loading: boolean }>({ data: null, error: null, loading: true });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let current = true;
    setState((s) => ({ ...s, loading: true }));
    load().then(
      (data) => current && setState({ data, error: null, loading: false }),
      (error: Error) => current && setState({ data: null, error, loading: false }),
    );
    return () => {
      current = false;
    };
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { ...state, reload };
}

export function ErrorMessage({ error }: { error: Error | null }) {
  if (!error) return null;
  const code = error instanceof ApiError ? ` (${error.code})` : '';
  return <p class="error" role="alert">{error.message}{code}</p>;
}

export function Loading({ what }: { what: string }) {
  return <p class="muted" role="status">Loading {what}…</p>;
}

export function Time({ iso }: { iso: string }) {
  const date = new Date(iso);
  return <time dateTime={iso} title={iso}>{date.toLocaleString()}</time>;
}

export function StatusBadge({ status }: { status: string }) {
  return <span class={`badge status-${status}`}>{status.replace('_', ' ')}</span>;
}

export function Json({ value, label }: { value: unknown; label: string }) {
  return <pre class="json" aria-label={label} tabIndex={0}>{JSON.stringify(value, null, 2)}</pre>;
}
