// The HTTP API as a table: every route of SPEC §3, declared once with the role it needs, its request
// and response contracts and the error codes it can answer. The router (http/router.ts) mounts,
// guards and validates each route from it, and the OpenAPI document is built from it; the app also
// uses it to tell a wrong method from an unknown path and to label metrics.
import type { Role } from '../auth/index.js';
import type { ErrorCode } from '../errors.js';

/** `public` routes are served without a key when listed in config `server.public_routes`, else to any key. */
export type Access = Role | 'public';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface SuccessAnswer {
  description: string;
  /** The body's contract (a file of contracts/). */
  schema?: string;
  /** Another media type than application/json, e.g. text/plain (its body is a string). */
  produces?: string;
  /** The contract of each line when the client asks for application/x-ndjson. */
  ndjson?: string;
}

/**
 * One route, declared once: the router mounts it, checks its role and validates its body and query
 * from this, and the OpenAPI document is built from it. Handlers are attached by `id` (app.ts).
 */
export interface ApiRoute {
  /** The OpenAPI operationId; also the key of the route's handler. */
  id: string;
  method: HttpMethod;
  /** OpenAPI path template: `/v1/skills/{name}`. */
  path: string;
  access: Access;
  summary: string;
  /** The JSON body's contract (a file of contracts/), and other media types the route takes raw. */
  body?: { schema: string; raw?: readonly string[] };
  /** The contract of the query string (its parameters are the schema's properties). */
  query?: string;
  /** Success statuses: what each means and the contract of its body. */
  ok: Readonly<Record<number, SuccessAnswer>>;
  /** Codes this route answers beyond those every route can (see errorCodes below). */
  errors: readonly ErrorCode[];
}

export const JSON_MEDIA_TYPE = 'application/json';
export const NDJSON_MEDIA_TYPE = 'application/x-ndjson';

const RUN_ERRORS = ['not_found', 'conflict', 'blocked', 'overloaded', 'unavailable'] as const;
const STORED = { 201: { description: 'stored as draft or active', schema: 'stored_skill.json' }, 202: { description: 'escalated: stored as pending review', schema: 'stored_skill.json' } } as const;

export const API_ROUTES = [
  { id: 'createSkill', method: 'POST', path: '/v1/skills/create', access: 'author', summary: 'Create a skill; the control layer reviews it', body: { schema: 'create_skill.json' },
    ok: STORED, errors: ['conflict', 'blocked'] },
  { id: 'runSkill', method: 'POST', path: '/v1/skills/run', access: 'client', summary: 'Run an active skill by name, or by intent', body: { schema: 'run_skill.json' },
    ok: { 200: { description: 'the run reached a container (any status); with Accept: application/x-ndjson, log lines as they happen and then the result line', schema: 'run_result.json', ndjson: 'run_event.json' },
      202: { description: 'a skill generated for the intent was stored as a draft', schema: 'stored_skill.json' } }, errors: RUN_ERRORS },
  { id: 'generateSkill', method: 'POST', path: '/v1/skills/generate', access: 'author', summary: 'Ask the code model for a skill without running it', body: { schema: 'generate_skill.json' },
    ok: STORED, errors: ['not_found', 'conflict', 'blocked', 'unavailable'] },
  { id: 'installSkill', method: 'POST', path: '/v1/skills/install', access: 'admin', summary: 'Install from the registry, or an uploaded package', body: { schema: 'install_skill.json', raw: ['application/gzip'] },
    ok: { 201: { description: 'installed (as draft, active or pending review, by the review)', schema: 'stored_skill.json' } }, errors: ['not_found', 'conflict', 'blocked', 'unavailable'] },
  { id: 'uninstallSkill', method: 'POST', path: '/v1/skills/uninstall', access: 'admin', summary: 'Remove every version of a skill, or one', body: { schema: 'uninstall_skill.json' },
    ok: { 200: { description: 'removed', schema: 'removed_skills.json' } }, errors: ['not_found'] },
  { id: 'promoteSkill', method: 'POST', path: '/v1/skills/promote', access: 'admin', summary: 'Make a draft active', body: { schema: 'promote_skill.json' },
    ok: { 200: { description: 'active', schema: 'stored_skill.json' } }, errors: ['not_found', 'conflict', 'blocked'] },
  { id: 'submitRun', method: 'POST', path: '/v1/runs', access: 'client', summary: 'Queue a run by skill name; its result is kept, and POSTed to callback_url when one is given', body: { schema: 'async_run.json' },
    ok: { 202: { description: 'queued; GET /v1/runs/{id} (the Location) follows it', schema: 'run_accepted.json' } }, errors: RUN_ERRORS },
  { id: 'getRun', method: 'GET', path: '/v1/runs/{id}', access: 'client', summary: "A queued run's state, then the same body a synchronous run gives (its own key or an admin)",
    ok: { 200: { description: 'queued or running, or the run result', schema: 'run_state.json' } }, errors: ['not_found'] },
  { id: 'listSkills', method: 'GET', path: '/v1/skills', access: 'client', summary: 'List skills, drafts and pending ones included',
    ok: { 200: { description: 'the skills with their status', schema: 'skill_list.json' } }, errors: [] },
  { id: 'getSkill', method: 'GET', path: '/v1/skills/{name}', access: 'client', summary: 'One skill, every version',
    ok: { 200: { description: 'the skill', schema: 'skill_detail.json' } }, errors: ['not_found'] },
  { id: 'listReviews', method: 'GET', path: '/v1/reviews', access: 'admin', summary: 'Pending escalations',
    ok: { 200: { description: 'the pending reviews', schema: 'pending_reviews.json' } }, errors: [] },
  { id: 'approveReview', method: 'POST', path: '/v1/reviews/{id}/approve', access: 'admin', summary: 'Approve an escalated skill', body: { schema: 'review_decision.json' },
    ok: { 200: { description: 'approved: the skill is active', schema: 'review_outcome.json' } }, errors: ['not_found', 'conflict'] },
  { id: 'rejectReview', method: 'POST', path: '/v1/reviews/{id}/reject', access: 'admin', summary: 'Reject an escalated skill', body: { schema: 'review_decision.json' },
    ok: { 200: { description: 'rejected: the skill is kept as blocked', schema: 'review_outcome.json' } }, errors: ['not_found', 'conflict'] },
  { id: 'queryAudit', method: 'GET', path: '/v1/audit', access: 'admin', summary: 'Audit events, newest first', query: 'audit_query.json',
    ok: { 200: { description: 'the matching events', schema: 'audit_events.json' } }, errors: [] },
  { id: 'verifyAudit', method: 'GET', path: '/v1/audit/verify', access: 'admin', summary: 'The audit chain checked end to end, as scripts/verify-audit does',
    ok: { 200: { description: 'intact, or the first bad line', schema: 'audit_verification.json' } }, errors: [] },
  { id: 'getMe', method: 'GET', path: '/v1/me', access: 'client', summary: 'The key in use: its id and role',
    ok: { 200: { description: 'the key id and role', schema: 'key_identity.json' } }, errors: [] },
  { id: 'getStatus', method: 'GET', path: '/v1/admin/status', access: 'admin', summary: 'Engine reachable, runtime and image in force, warm pool, queue',
    ok: { 200: { description: 'the service state', schema: 'service_status.json' } }, errors: [] },
  { id: 'getLimits', method: 'GET', path: '/v1/admin/limits', access: 'admin', summary: 'The limit policy in force',
    ok: { 200: { description: 'the limit policy', schema: 'limit_policy.json' } }, errors: [] },
  { id: 'putLimits', method: 'PUT', path: '/v1/admin/limits', access: 'admin', summary: 'Replace the limit policy (persisted, audited)', body: { schema: 'limit_policy.json' },
    ok: { 200: { description: 'the new limit policy', schema: 'limit_policy.json' } }, errors: [] },
  { id: 'createKey', method: 'POST', path: '/v1/admin/keys', access: 'admin', summary: 'Create an API key for a role; the key is in this answer only', body: { schema: 'create_key.json' },
    ok: { 201: { description: 'the key, shown this once', schema: 'created_key.json' } }, errors: ['conflict'] },
  { id: 'listKeys', method: 'GET', path: '/v1/admin/keys', access: 'admin', summary: 'API keys: ids, roles, creation times (never a key or its hash)',
    ok: { 200: { description: 'the keys', schema: 'key_list.json' } }, errors: [] },
  { id: 'revokeKey', method: 'DELETE', path: '/v1/admin/keys/{id}', access: 'admin', summary: 'Revoke an API key made through the API; it fails from the next request on',
    ok: { 200: { description: 'revoked', schema: 'revoked_key.json' } }, errors: ['not_found', 'conflict'] },
  { id: 'health', method: 'GET', path: '/healthz', access: 'public', summary: 'Alive', ok: { 200: { description: 'alive', schema: 'health.json' } }, errors: [] },
  { id: 'ready', method: 'GET', path: '/readyz', access: 'public', summary: 'Engine reachable and runner image present', ok: { 200: { description: 'ready, with the sandbox runtime in force', schema: 'health.json' } }, errors: ['unavailable'] },
  { id: 'metrics', method: 'GET', path: '/metrics', access: 'public', summary: 'Prometheus metrics', ok: { 200: { description: 'text exposition format', produces: 'text/plain' } }, errors: [] },
  { id: 'openApi', method: 'GET', path: '/openapi.json', access: 'public', summary: 'This document', ok: { 200: { description: 'OpenAPI 3.1' } }, errors: [] },
] as const satisfies readonly ApiRoute[];

export type ApiRouteTable = typeof API_ROUTES;
export type OperationId = ApiRouteTable[number]['id'];

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
