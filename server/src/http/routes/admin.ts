// GET and PUT /v1/admin/limits (admin): the limit policy in force, replaced whole at run time.
// POST, GET /v1/admin/keys and DELETE /v1/admin/keys/{id} (admin): API keys at run time.
import type { KeysService, LimitsAdmin } from '../../service/index.js';
import type { RouteHandlers } from '../router.js';

export function adminHandlers(deps: { limits: LimitsAdmin; keys: KeysService }): Pick<RouteHandlers, 'getLimits' | 'putLimits' | 'createKey' | 'listKeys' | 'revokeKey'> {
  return {
    getLimits: () => ({ status: 200, body: deps.limits.current() }),
    putLimits: async ({ body, call }) => ({ status: 200, body: await deps.limits.update(body, call) }),
    createKey: async ({ body, call }) => ({ status: 201, body: await deps.keys.create(body, call) }),
    listKeys: () => ({ status: 200, body: deps.keys.list() }),
    revokeKey: async ({ params, call }) => ({ status: 200, body: await deps.keys.revoke(String(params.id), call) }),
  };
}
