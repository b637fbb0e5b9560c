// The HTTP API as a table: every route of SPEC §3 with the role it needs, its request contract and
// the error codes it can answer. The OpenAPI document is built from it, and the app uses it to tell
// a wrong method from an unknown path, to know which bodies a route takes and to label metrics.
// The routers enforce the roles themselves; test/http/roles.test.ts proves the two agree.
import type { Role } from '../auth/index.js';
import type { ErrorCode } from '../errors.js';

/** `public` routes are served without a key when listed in config `server.public_routes`, else to any key. */
export type Access = Role | 'public';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface ApiRoute {
  method: HttpMethod;
  /** OpenAPI path template: `/v1/skills/{name}`. */
  path: string;
  access: Access;
  summary: string;
  /** The JSON body's contract (a file of contracts/), and other media types the route takes raw. */
  body?: { schema: string; raw?: string[] };
  /** The contract of the query string (its parameters are the schema's properties). */
  query?: string;
  /** The response schema, where contracts/ has one. */
  response?: string;
  /** The success media type, when not application/json. */
  produces?: string;
  /** Success statuses with what they mean. */
  ok: Record<number, string>;
  /** Codes this route answers beyond those every route can (see errorCodes below). */
  errors: ErrorCode[];
}

export const JSON_MEDIA_TYPE = 'application/json';

const RUN_ERRORS: ErrorCode[] = ['not_found', 'conflict', 'blocked', 'overloaded', 'unavailable'];

export const API_ROUTES: readonly ApiRoute[] = [
  { method: 'POST', path: '/v1/skills/create', access: 'author', summary: 'Create a skill; the control layer reviews it', body: { schema: 'create_skill.json' },
    ok: { 201: 'stored as draft or active', 202: 'escalated: stored as pending review' }, errors: ['conflict', 'blocked'] },
  { method: 'POST', path: '/v1/skills/run', access: 'client', summary: 'Run an active skill by name, or by intent', body: { schema: 'run_skill.json' },
    ok: { 200: 'the run reached a container (any status); NDJSON with Accept: application/x-ndjson', 202: 'a generated skill was stored as a draft' }, errors: RUN_ERRORS },
  { method: 'POST', path: '/v1/skills/generate', access: 'author', summary: 'Ask the code model for a skill without running it', body: { schema: 'generate_skill.json' },
    ok: { 201: 'stored as draft or active', 202: 'escalated: stored as pending review' }, errors: ['not_found', 'conflict', 'blocked', 'unavailable'] },
  { method: 'POST', path: '/v1/skills/install', access: 'admin', summary: 'Install from the registry, or an uploaded package', body: { schema: 'install_skill.json', raw: ['application/gzip'] },
    ok: { 201: 'installed' }, errors: ['not_found', 'conflict', 'blocked', 'unavailable'] },
  { method: 'POST', path: '/v1/skills/uninstall', access: 'admin', summary: 'Remove every version of a skill, or one', body: { schema: 'uninstall_skill.json' },
    ok: { 200: 'removed' }, errors: ['not_found'] },
  { method: 'POST', path: '/v1/skills/promote', access: 'admin', summary: 'Make a draft active', body: { schema: 'promote_skill.json' },
    ok: { 200: 'active' }, errors: ['not_found', 'conflict'] },
  { method: 'GET', path: '/v1/skills', access: 'client', summary: 'List skills, drafts and pending ones included',
    ok: { 200: 'the skills with their status' }, errors: [] },
  { method: 'GET', path: '/v1/skills/{name}', access: 'client', summary: 'One skill, every version',
    ok: { 200: 'the skill' }, errors: ['not_found'] },
  { method: 'GET', path: '/v1/reviews', access: 'admin', summary: 'Pending escalations',
    ok: { 200: 'the pending reviews' }, errors: [] },
  { method: 'POST', path: '/v1/reviews/{id}/approve', access: 'admin', summary: 'Approve an escalated skill', body: { schema: 'review_decision.json' },
    ok: { 200: 'approved' }, errors: ['not_found', 'conflict'] },
  { method: 'POST', path: '/v1/reviews/{id}/reject', access: 'admin', summary: 'Reject an escalated skill', body: { schema: 'review_decision.json' },
    ok: { 200: 'rejected' }, errors: ['not_found', 'conflict'] },
  { method: 'GET', path: '/v1/audit', access: 'admin', summary: 'Audit events, newest first', query: 'audit_query.json',
    ok: { 200: '{"events": [...]}' }, errors: [] },
  { method: 'GET', path: '/v1/audit/verify', access: 'admin', summary: 'The audit chain checked end to end, as scripts/verify-audit does', response: 'audit_verification.json',
    ok: { 200: 'intact, or the first bad line' }, errors: [] },
  { method: 'GET', path: '/v1/me', access: 'client', summary: 'The key in use: its id and role', response: 'key_identity.json',
    ok: { 200: 'the key id and role' }, errors: [] },
  { method: 'GET', path: '/v1/admin/status', access: 'admin', summary: 'Engine reachable, runtime and image in force, warm pool, queue', response: 'service_status.json',
    ok: { 200: 'the service state' }, errors: [] },
  { method: 'GET', path: '/v1/admin/limits', access: 'admin', summary: 'The limit policy in force', response: 'limit_policy.json',
    ok: { 200: 'the limit policy' }, errors: [] },
  { method: 'PUT', path: '/v1/admin/limits', access: 'admin', summary: 'Replace the limit policy (persisted, audited)', body: { schema: 'limit_policy.json' }, response: 'limit_policy.json',
    ok: { 200: 'the new limit policy' }, errors: [] },
  { method: 'POST', path: '/v1/admin/keys', access: 'admin', summary: 'Create an API key for a role; the key is in this answer only', body: { schema: 'create_key.json' },
    ok: { 201: '{"id", "role", "created_at", "key"}' }, errors: ['conflict'] },
  { method: 'GET', path: '/v1/admin/keys', access: 'admin', summary: 'API keys: ids, roles, creation times (never a key or its hash)',
    ok: { 200: '{"keys": [...]}' }, errors: [] },
  { method: 'DELETE', path: '/v1/admin/keys/{id}', access: 'admin', summary: 'Revoke an API key made through the API; it fails from the next request on',
    ok: { 200: '{"revoked": id}' }, errors: ['not_found', 'conflict'] },
  { method: 'GET', path: '/healthz', access: 'public', summary: 'Alive', ok: { 200: 'alive' }, errors: [] },
  { method: 'GET', path: '/readyz', access: 'public', summary: 'Engine reachable and runner image present', ok: { 200: '{"status": "ready", "sandbox_runtime": "runc" | "runsc"}' }, errors: ['unavailable'] },
  { method: 'GET', path: '/metrics', access: 'public', summary: 'Prometheus metrics', produces: 'text/plain', ok: { 200: 'text exposition format' }, errors: [] },
  { method: 'GET', path: '/openapi.json', access: 'public', summary: 'This document', ok: { 200: 'OpenAPI 3.1' }, errors: [] },
];

/** Every code a route can answer: its own, plus what authentication, bodies and bugs bring to all. */
export function errorCodes(route: ApiRoute, publicPaths: ReadonlySet<string>): ErrorCode[] {
  const codes = new Set<ErrorCode>();
  // Every call with a key is audited (refusals too), and the service fails closed when it cannot be.
  if (!isPublic(route, publicPaths)) codes.add('unauthorized').add('storage_unavailable');
  if (route.access === 'author' || route.access === 'admin') codes.add('forbidden');
  if (route.body || route.query) codes.add('validation_failed');
  if (route.body) {
    codes.add('payload_too_large');
    codes.add('unsupported_media_type');
  }
  for (const code of route.errors) codes.add(code);
  codes.add('internal');
  return [...codes];
}

export function isPublic(route: ApiRoute, publicPaths: ReadonlySet<string>): boolean {
  return route.access === 'public' && publicPaths.has(route.path);
}

function pattern(template: string): RegExp {
  const escaped = template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[a-z_]+\}/g, '[^/]+');
  return new RegExp(`^${escaped}$`);
}

export interface RouteMatch {
  /** The route for this method and path, if there is one. */
  route?: ApiRoute;
  /** The methods the path takes (empty for an unknown path). */
  allowed: HttpMethod[];
}

/** Matches method and path against a route table; built once per app. */
export function routeMatcher(routes: readonly ApiRoute[]): (method: string, path: string) => RouteMatch {
  const compiled = routes.map((route) => ({ route, regex: pattern(route.path) }));
  return (method, path) => {
    const matching = compiled.filter((entry) => entry.regex.test(path));
    // A literal path owns itself: GET /v1/skills/run is not the detail of a skill named "run".
    const literal = matching.filter((entry) => entry.route.path === path);
    const onPath = literal.length > 0 ? literal : matching;
    // HEAD is answered by GET routes (express does the same).
    const wanted = method === 'HEAD' ? 'GET' : method;
    const route = onPath.find((entry) => entry.route.method === wanted)?.route;
    return { route, allowed: [...new Set(onPath.map((entry) => entry.route.method))] };
  };
}
