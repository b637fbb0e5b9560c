// The OpenAPI 3.1 document, built once at start-up from the route table and the contracts/ schemas
// (OpenAPI 3.1 speaks JSON Schema 2020-12, so the contracts go in as they are, only their `$ref`s
// re-pointed into components/schemas). Validation and documentation share one source.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ERROR_STATUS, type ErrorCode } from '../errors.js';
import { errorCodes, isPublic, type ApiRoute } from '../http/api.js';
import { PROJECT_ROOT } from '../paths.js';

export interface OpenApiOptions {
  routes: readonly ApiRoute[];
  /** Contracts.schemas: the raw contract documents by $id (`run_skill.json`). */
  schemas: ReadonlyMap<string, object>;
  /** config.server.public_routes */
  publicPaths: readonly string[];
}

const SCHEMA_DIALECT = 'https://json-schema.org/draft/2020-12/schema';
const ERROR_SCHEMA = 'error.json';

const ERROR_MEANING: Record<ErrorCode, string> = {
  validation_failed: 'the request does not match its contract',
  unauthorized: 'no valid API key (Authorization: Bearer <key>)',
  forbidden: "the key's role is too low",
  not_found: 'no such route or resource',
  conflict: 'the resource is in a state that does not allow this',
  payload_too_large: 'the body is larger than server.body_limit_bytes',
  unsupported_media_type: 'the body is not uncompressed UTF-8 JSON (or the raw type the route takes)',
  blocked: 'the control layer blocked the skill (findings in details.review)',
  overloaded: 'every run slot and queue place is taken; retry after Retry-After seconds',
  internal: 'a bug; the request id finds it in the service log',
  unavailable: 'the container engine is unreachable; retry after Retry-After seconds',
  method_not_allowed: 'the path does not take this method (Allow lists those it takes)',
  storage_unavailable: 'the audit log or the store cannot be written; the service refuses until it can; retry after Retry-After seconds',
};

function componentName(schemaId: string): string {
  return schemaId.replace(/\.json$/, '');
}

function componentRef(schemaId: string): { $ref: string } {
  return { $ref: `#/components/schemas/${componentName(schemaId)}` };
}

/** Re-points `X.json`, `X.json#/p` and (inside schema `owner`) `#/p` at components/schemas. */
function repoint(value: unknown, owner: string): unknown {
  if (Array.isArray(value)) return value.map((item) => repoint(item, owner));
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    if (key === '$ref' && typeof item === 'string') {
      const [file = '', pointer = ''] = item.split('#');
      out.$ref = `#/components/schemas/${componentName(file || owner)}${pointer}`;
    } else {
      out[key] = repoint(item, owner);
    }
  }
  return out;
}

function componentSchemas(schemas: ReadonlyMap<string, object>): Record<string, unknown> {
  const components: Record<string, unknown> = {};
  for (const [id, schema] of schemas) {
    const { $id: _id, $schema: _dialect, ...rest } = schema as Record<string, unknown>;
    components[componentName(id)] = repoint(rest, id);
  }
  return components;
}

function schemaOf(schemas: ReadonlyMap<string, object>, id: string): { properties?: Record<string, unknown>; required?: string[] } {
  const schema = schemas.get(id);
  if (!schema) throw new Error(`the route table names contract ${id}, which contracts/ does not have`);
  return schema as { properties?: Record<string, unknown>; required?: string[] };
}

function parameters(route: ApiRoute, schemas: ReadonlyMap<string, object>): object[] {
  const inPath = [...route.path.matchAll(/\{([a-z_]+)\}/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
  if (!route.query) return inPath;
  const query = schemaOf(schemas, route.query);
  const inQuery = Object.entries(query.properties ?? {}).map(([name, schema]) => ({
    name, in: 'query', required: query.required?.includes(name) ?? false, schema: repoint(schema, route.query!),
  }));
  return [...inPath, ...inQuery];
}

function requestBody(route: ApiRoute, schemas: ReadonlyMap<string, object>): object | undefined {
  if (!route.body) return undefined;
  schemaOf(schemas, route.body.schema);
  const content: Record<string, object> = { 'application/json': { schema: componentRef(route.body.schema) } };
  for (const type of route.body.raw ?? []) content[type] = { schema: { type: 'string', contentMediaType: type } };
  return { required: true, content };
}

function responses(route: ApiRoute, publicPaths: ReadonlySet<string>): Record<string, object> {
  const out: Record<string, object> = {};
  const produces = route.produces ?? 'application/json';
  for (const [status, description] of Object.entries(route.ok)) {
    out[status] = { description, content: { [produces]: { schema: route.response ? componentRef(route.response) : {} } } };
  }
  for (const code of errorCodes(route, publicPaths)) {
    const retry = code === 'overloaded' || code === 'unavailable' || code === 'storage_unavailable';
    const status = String(ERROR_STATUS[code]);
    // Two codes can share a status (503): one response names both.
    const before = (out[status] as { description?: string } | undefined)?.description;
    out[status] = {
      description: `${before ? `${before}; ` : ''}${code}: ${ERROR_MEANING[code]}`,
      ...(retry ? { headers: { 'Retry-After': { description: 'seconds to wait', schema: { type: 'integer' } } } } : {}),
      content: { 'application/json': { schema: componentRef(ERROR_SCHEMA) } },
    };
  }
  return out;
}

function operation(route: ApiRoute, schemas: ReadonlyMap<string, object>, publicPaths: ReadonlySet<string>): object {
  const open = isPublic(route, publicPaths);
  const role = open ? 'public' : route.access === 'public' ? 'client' : route.access;
  return {
    operationId: `${route.method.toLowerCase()}${route.path.replace(/[{}]/g, '').replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ?? '').toUpperCase())}`,
    summary: route.summary,
    description: open ? 'Served without a key (server.public_routes).' : `Needs a key with the ${role} role or a higher one (client < author < admin).`,
    'x-required-role': role,
    security: open ? [] : [{ bearer: [] }],
    parameters: parameters(route, schemas),
    ...(route.body ? { requestBody: requestBody(route, schemas) } : {}),
    responses: responses(route, publicPaths),
  };
}

function packageVersion(): string {
  return (JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
}

export function buildOpenApi(options: OpenApiOptions): object {
  const publicPaths = new Set(options.publicPaths);
  const paths: Record<string, Record<string, object>> = {};
  for (const route of options.routes) {
    paths[route.path] ??= {};
    paths[route.path]![route.method.toLowerCase()] = operation(route, options.schemas, publicPaths);
  }
  schemaOf(options.schemas, ERROR_SCHEMA);
  return {
    openapi: '3.1.0',
    jsonSchemaDialect: SCHEMA_DIALECT,
    info: {
      title: 'Tool Executor',
      version: packageVersion(),
      description: 'Runs untrusted skills in fresh, network-less, read-only containers. Every error has the shape of components/schemas/error; codes: docs/errors.md.',
    },
    paths,
    components: {
      schemas: componentSchemas(options.schemas),
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'an API key; the service keeps only its sha256' } },
    },
  };
}
