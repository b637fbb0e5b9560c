import type { RequestHandler } from 'express';
import type { KeyRing } from '../auth/keys.js';
import { UnauthorizedError } from '../errors.js';
import { context } from './context.js';

/** `Authorization: Bearer <key>` → context(res).actor; anything else is 401. */
export function authenticate(keyRing: KeyRing, onRefused: (reason: string, res: Parameters<RequestHandler>[1]) => Promise<void>): RequestHandler {
  return async (req, res, next) => {
    const header = req.headers.authorization ?? '';
    const match = /^Bearer ([\x21-\x7e]{1,512})$/.exec(header);
    const actor = match?.[1] ? keyRing.resolve(match[1]) : null;
    if (!actor) {
      const reason = header ? (match ? 'unknown key' : 'not a bearer key') : 'no key';
      await onRefused(reason, res);
      return next(new UnauthorizedError(header ? 'the API key is not valid' : 'an API key is required (Authorization: Bearer <key>)'));
    }
    context(res).actor = actor;
    next();
  };
}
