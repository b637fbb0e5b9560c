// Who is calling: an API key resolves to an Actor with a role. Roles are ordered; each includes the
// ones before it (SPEC §3).
import type { Role } from '../config/index.js';

export type { Role };

export interface Actor {
  /** The key's id from the configuration; never the key itself. */
  id: string;
  role: Role;
}

const ROLE_RANK: Record<Role, number> = { client: 0, author: 1, admin: 2 };

export function hasRole(actor: Actor, needed: Role): boolean {
  return ROLE_RANK[actor.role] >= ROLE_RANK[needed];
}
export { KeyRing, loadKeys, newApiKey, sha256Hex } from './keys.js';
