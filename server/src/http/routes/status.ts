// GET /v1/me (client): the caller's key id and role, so a console shows what that role may use.
// GET /v1/admin/status (admin): engine, runtime, warm pool and queue (service/status.ts).
import type { ServiceStatus } from '../../service/index.js';
import type { RouteHandlers } from '../router.js';

export function statusHandlers(deps: { status: () => Promise<ServiceStatus> }): Pick<RouteHandlers, 'getMe' | 'getStatus'> {
  return {
    // The role check has established the caller.
    getMe: ({ call }) => ({ status: 200, body: { id: call.actor!.id, role: call.actor!.role } }),
    getStatus: async () => ({ status: 200, body: await deps.status() }),
  };
}
