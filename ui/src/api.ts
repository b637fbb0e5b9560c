// The console's only way to the service: the public HTTP API with the signed-in key. The key lives in
// sessionStorage (gone when the tab closes), never in localStorage or a cookie.
import type { ErrorAnswer, KeyIdentity, RunEvent, RunRequest } from './types';

const KEY_STORAGE = 'tool-executor.key';

export function storedKey(): string | null {
  return sessionStorage.getItem(KEY_STORAGE);
}

export function storeKey(key: string): void {
  sessionStorage.setItem(KEY_STORAGE, key);
}

export function forgetKey(): void {
  sessionStorage.removeItem(KEY_STORAGE);
}

/** An error answer in the service's one shape. */
export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly details: Record<string, unknown> = {}) {
    super(message);
  }
}

function headers(extra: Record<string, string> = {}): Record<string, string> {
  const key = storedKey();
  return { ...(key ? { Authorization: `Bearer ${key}` } : {}), ...extra };
}

async function failure(res: Response): Promise<ApiError> {
  try {
    // Partial: a proxy in front of the service may answer with other JSON.
    const body = (await res.json()) as Partial<ErrorAnswer>;
    if (body.error) return new ApiError(res.status, body.error.code, body.error.message, body.error.details);
  } catch {
    // not the JSON error shape: fall through to the status line
  }
  return new ApiError(res.status, 'http_error', `${res.status} ${res.statusText}`);
}

export async function request<T>(method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown): Promise<T> {
  const res = await fetch(path, {
    method,
    headers: headers(body === undefined ? {} : { 'Content-Type': 'application/json' }),
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw await failure(res);
  return (await res.json()) as T;
}

export const get = <T>(path: string): Promise<T> => request<T>('GET', path);
export const post = <T>(path: string, body: unknown): Promise<T> => request<T>('POST', path, body);
export const put = <T>(path: string, body: unknown): Promise<T> => request<T>('PUT', path, body);

/** `?a=1&b=2` from the defined, non-empty values. */
export function query(params: Record<string, string | number | undefined>): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) if (value !== undefined && value !== '') search.set(name, String(value));
  const text = search.toString();
  return text ? `?${text}` : '';
}

export async function whoAmI(): Promise<KeyIdentity> {
  return get('/v1/me');
}

/** POST /v1/skills/run as NDJSON: each line is handed over as it arrives. */
export async function runStreaming(body: RunRequest, onLine: (line: RunEvent) => void): Promise<void> {
  const res = await fetch('/v1/skills/run', {
    method: 'POST',
    headers: headers({ 'Content-Type': 'application/json', Accept: 'application/x-ndjson' }),
    body: JSON.stringify(body),
  });
  if (!res.ok) throw await failure(res);
  if (!res.body) throw new ApiError(res.status, 'http_error', 'the run answered with no body');
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let pending = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (value) pending += value;
    let newline: number;
    while ((newline = pending.indexOf('\n')) >= 0) {
      const text = pending.slice(0, newline);
      pending = pending.slice(newline + 1);
      if (text.trim()) onLine(JSON.parse(text) as RunEvent);
    }
    if (done) break;
  }
  if (pending.trim()) onLine(JSON.parse(pending) as RunEvent);
}
