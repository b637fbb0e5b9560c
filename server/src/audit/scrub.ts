// Makes an event's `details` safe to log: a plain JSON value (so serialising it can never throw
// inside the winston stream, where a throw would escape every caller), with anything that looks
// like a credential replaced. Callers should never pass secrets; this is the second line.

export const REDACTED = '[redacted]';

const SECRET_NAME = /key|secret|token|authori[sz]ation|password|passwd|credential|cookie|signature/i;
// Identifiers of keys (key_id, tokenId) are what the log is for, not secrets.
const ID_NAME = /(_id|Id|_ids|Ids)$/;
// A value that carries its own scheme, whatever field it was put in.
const SECRET_VALUE = /^\s*(bearer|basic)\s+\S/i;

const MAX_DEPTH = 8;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function scrubValue(value: unknown, depth: number, seen: Set<object>): Json | undefined {
  if (value === null) return null;
  switch (typeof value) {
    case 'string':
      return SECRET_VALUE.test(value) ? REDACTED : value;
    case 'number':
      return Number.isFinite(value) ? value : null;
    case 'boolean':
      return value;
    case 'bigint':
      return value.toString();
    case 'object':
      break;
    default:
      return undefined; // functions, symbols, undefined: JSON drops them too
  }
  const object = value as object;
  const withJson = object as { toJSON?: () => unknown };
  if (typeof withJson.toJSON === 'function') return scrubValue(withJson.toJSON(), depth, seen);
  if (seen.has(object)) return '[circular]';
  if (depth >= MAX_DEPTH) return '[too deep]';
  seen.add(object);
  try {
    if (Array.isArray(object)) return object.map((item) => scrubValue(item, depth + 1, seen) ?? null);
    const out: { [key: string]: Json } = {};
    for (const [key, item] of Object.entries(object)) {
      const clean = SECRET_NAME.test(key) && !ID_NAME.test(key) ? REDACTED : scrubValue(item, depth + 1, seen);
      if (clean !== undefined) out[key] = clean;
    }
    return out;
  } finally {
    seen.delete(object);
  }
}

/** A JSON-safe copy of `details` with secret-named fields and bearer-like values redacted. */
export function scrubDetails(details: Record<string, unknown> | undefined): Record<string, Json> {
  if (details === undefined || details === null) return {};
  const clean = scrubValue(details, 0, new Set());
  return clean !== null && typeof clean === 'object' && !Array.isArray(clean) ? clean : { value: clean ?? null };
}

/** Strings only, or null: the top-level fields are identifiers, never structures. */
export function scrubField(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  const text = String(value);
  return SECRET_VALUE.test(text) ? REDACTED : text;
}
