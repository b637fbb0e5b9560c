// The front door: `Authorization: Bearer <key>` resolves to an Actor, anything else is 401; and
// every refusal (401, and 403 for a role too low) is audited, without the key.
import type { ErrorRequestHandler, Request, RequestHandler } from 'express';
import type { Auditor } from '../audit/index.js';
import type { KeyRing } from '../auth/index.js';
import { AppError, OverloadedError, UnauthorizedError } from '../errors.js';
import { context } from './context.js';

// RFC 6750 token68 characters after a case-insensitive scheme; longer keys are not ours.
const BEARER = /^Bearer +([\x21-\x7e]{1,512}) *$/i;

// Failed authentications per source address (config server.auth_failures_per_minute): past the
// limit the address is refused (429) without its key being looked at, until the window ends.
// Guessing keys gets slow; an honest client that sends a stale key is told plainly to stop.
export const AUTH_FAILURE_LIMIT = 30;
export const AUTH_FAILURE_WINDOW_MS = 60_000;

/** Counts failed authentications per address in fixed windows. */
export class AuthFailureLimiter {
  private readonly windows = new Map<string, { startedAt: number; failures: number; throttled: number }>();

  constructor(private readonly limit = AUTH_FAILURE_LIMIT, private readonly windowMs = AUTH_FAILURE_WINDOW_MS) {}

  private window(address: string): { startedAt: number; failures: number; throttled: number } {
    const now = performance.now();
    let entry = this.windows.get(address);
    if (!entry || now - entry.startedAt >= this.windowMs) {
      // Old windows go on the way, so the map holds only addresses seen within a window.
      for (const [key, old] of this.windows) if (now - old.startedAt >= this.windowMs) this.windows.delete(key);
      entry = { startedAt: now, failures: 0, throttled: 0 };
      this.windows.set(address, entry);
    }
    return entry;
  }

  /** Seconds until the address may try again, or 0 when it may try now. */
  retryAfterS(address: string): number {
    const entry = this.window(address);
    if (entry.failures < this.limit) return 0;
    entry.throttled += 1;
    return Math.max(1, Math.ceil((entry.startedAt + this.windowMs - performance.now()) / 1000));
  }

  /** How many requests of the address were throttled in this window so far. */
  throttled(address: string): number {
    return this.window(address).throttled;
  }

  fail(address: string): void {
    this.window(address).failures += 1;
  }
}

/** Refused for too many failed authentications from one address; `first` of its window or not. */
export class TooManyFailuresError extends OverloadedError {
  constructor(message: string, retryAfterS: number, readonly first: boolean) {
    super(message, retryAfterS);
  }
}

function sourceAddress(req: Request): string {
  return req.socket.remoteAddress ?? 'unknown';
}

export function authenticate(keyRing: Pick<KeyRing, 'resolve'>, limiter = new AuthFailureLimiter()): RequestHandler {
  return (req, res, next) => {
    const address = sourceAddress(req);
    const retryAfterS = limiter.retryAfterS(address);
    if (retryAfterS > 0) {
      return next(new TooManyFailuresError(`too many failed authentications from ${address}; try again in ${retryAfterS} s`, retryAfterS, limiter.throttled(address) === 1));
    }
    const header = req.headers.authorization;
    const key = BEARER.exec(header ?? '')?.[1];
    const actor = key === undefined ? null : keyRing.resolve(key);
    if (!actor) {
      limiter.fail(address);
      return next(new UnauthorizedError(header ? 'the API key is not valid (Authorization: Bearer <key>)' : 'an API key is required (Authorization: Bearer <key>)'));
    }
    context(res).actor = actor;
    next();
  };
}

/** Why a request's credentials were refused, in words that carry no part of them. */
function refusalReason(req: Request): string {
  const header = req.headers.authorization;
  if (!header) return 'no key';
  if (!/^Bearer /i.test(header)) return 'not a bearer key';
  return BEARER.test(header) ? 'unknown key' : 'malformed bearer key';
}

/**
 * Error middleware placed before the renderer: audits 401 and 403 answers, and the first 429 of a
 * throttled address in each window (not every one: a flood would fill the log), then passes them on.
 */
export function auditRefusals(auditor: Auditor): ErrorRequestHandler {
  return async (thrown: unknown, req, res, next) => {
    const { actor, requestId } = context(res);
    const throttled = thrown instanceof TooManyFailuresError;
    const refused = thrown instanceof AppError && (thrown.code === 'unauthorized' || thrown.code === 'forbidden');
    if (!(refused || throttled) || (throttled && !thrown.first)) return next(thrown);
    const reason = throttled ? 'too many failed authentications' : thrown.code === 'forbidden' ? `role ${actor?.role ?? 'none'} is too low` : refusalReason(req);
    const details = { reason, method: req.method, path: req.path.slice(0, 256), remote_address: req.socket.remoteAddress ?? null };
    // refuse() always rejects: with the refusal itself, or 503 when the audit log cannot take it (fail closed).
    await auditor.refuse('auth.refused', { actor, requestId }, { details }, thrown).catch(next);
  };
}
