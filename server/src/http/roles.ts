import type { RequestHandler } from 'express';
import { hasRole, type Role } from '../auth/index.js';
import { ForbiddenError, UnauthorizedError } from '../errors.js';
import { context } from './context.js';

/** Route guard: the caller's key must carry `role` or a higher one. */
export function requireRole(role: Role): RequestHandler {
  return (_req, res, next) => {
    const { actor } = context(res);
    if (!actor) return next(new UnauthorizedError());
    if (!hasRole(actor, role)) return next(new ForbiddenError(`this needs the ${role} role; key ${actor.id} is ${actor.role}`, { required: role, role: actor.role }));
    next();
  };
}
