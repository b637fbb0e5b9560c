// GET and PUT /v1/admin/limits (admin): the limit policy in force, replaced whole at run time.
import type { LimitsAdmin } from '../../service/index.js';
import type { RouteHandlers } from '../router.js';

export function adminHandlers(deps: { limits: LimitsAdmin }): Pick<RouteHandlers, 'getLimits' | 'putLimits'> {
  return {
    getLimits: () => ({ status: 200, body: deps.limits.current() }),
    putLimits: async ({ body, call }) => ({ status: 200, body: await deps.limits.update(body, call) }),
  };
}
