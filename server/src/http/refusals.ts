// A request an authenticated caller sent to a known route, refused before the route's use case
// started: a body or query that breaks its contract, a body that is not JSON, too large, of another
// media type. Each is audited as one `request.refused` event with the error code as its outcome, the
// route's operation id, and where the contract was broken (the schema paths, each ending with its
// keyword), never the body.
// Unauthenticated requests are auth.refused (rate-limited) and never reach here; an unknown path
// (404) or a wrong method (405) names no action and is in the access log only.
import type { ErrorRequestHandler } from 'express';
import type { Auditor } from '../audit/index.js';
import { ContractViolation } from '../contracts/index.js';
import type { ErrorCode } from '../errors.js';
import type { RouteMatch } from './api.js';
import { context } from './context.js';
import { knownError } from './errors.js';

export const REQUEST_REFUSED_EVENT = 'request.refused';

/** At most this many schema paths per line, each cut to MAX_TEXT: a line stays small whatever the body. */
export const MAX_AUDITED_PROBLEMS = 3;
const MAX_TEXT = 200;

/** What refuses a request's input; authentication and role refusals are auth.refused's. */
const INPUT_REFUSALS: ReadonlySet<ErrorCode> = new Set(['validation_failed', 'payload_too_large', 'unsupported_media_type']);

/** Error middleware placed after auditRefusals (which takes 401, 403 and 429) and before the renderer. */
export function auditInputRefusals(auditor: Auditor, match: (method: string, path: string) => RouteMatch): ErrorRequestHandler {
  return async (thrown: unknown, req, res, next) => {
    const { actor, requestId, handlerStarted } = context(res);
    const refusal = knownError(thrown);
    const route = actor && !handlerStarted && refusal && INPUT_REFUSALS.has(refusal.code) ? match(req.method, req.path).route : undefined;
    if (!refusal || !route) return next(thrown);
    const details = {
      operation: route.id,
      method: req.method,
      path: req.path.slice(0, 256),
      reason: refusal.message.slice(0, MAX_TEXT),
      schema_paths: refusal instanceof ContractViolation ? refusal.schemaPaths.slice(0, MAX_AUDITED_PROBLEMS).map((p) => p.slice(0, MAX_TEXT)) : [],
    };
    // refuse() always rejects: with the refusal itself, or 503 when the audit log cannot take it (fail closed).
    await auditor.refuse(REQUEST_REFUSED_EVENT, { actor, requestId }, { details }, refusal).catch(next);
  };
}
