// The front door: `Authorization: Bearer <key>` resolves to an Actor, anything else is 401; and
// every refusal (401, and 403 for a role too low) is audited, without the key.
import type { ErrorRequestHandler, Request, RequestHandler } from 'express';
import type { Logger } from 'winston';
import type { AuditLog } from '../audit/index.js';
import type { KeyRing } from '../auth/index.js';
import { AppError, UnauthorizedError } from '../errors.js';
import { context } from './context.js';

// RFC 6750 token68 characters after a case-insensitive scheme; longer keys are not ours.
const BEARER = /^Bearer +([\x21-\x7e]{1,512}) *$/i;

export function authenticate(keyRing: KeyRing): RequestHandler {
  return (req, res, next) => {
    const header = req.headers.authorization;
    const key = BEARER.exec(header ?? '')?.[1];
    const actor = key === undefined ? null : keyRing.resolve(key);
    if (!actor) {
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

/** Error middleware placed before the renderer: audits 401 and 403 answers, then passes them on. */
export function auditRefusals(audit: Pick<AuditLog, 'record'>, logger: Logger): ErrorRequestHandler {
  return async (thrown: unknown, req, res, next) => {
    if (thrown instanceof AppError && (thrown.code === 'unauthorized' || thrown.code === 'forbidden')) {
      const { actor, requestId } = context(res);
      try {
        await audit.record({
          event: 'auth.refused',
          actor: actor?.id ?? null,
          request_id: requestId,
          outcome: thrown.code,
          details: {
            reason: thrown.code === 'forbidden' ? `role ${actor?.role ?? 'none'} is too low` : refusalReason(req),
            method: req.method,
            path: req.path.slice(0, 256),
            remote_address: req.socket.remoteAddress ?? null,
          },
        });
      } catch (error) {
        // The refusal stands either way; a failing audit log must not turn a 401 into a 500.
        logger.error('could not audit a refused request', { request_id: requestId, error: String(error) });
      }
    }
    next(thrown);
  };
}
