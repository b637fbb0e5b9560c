// The OpenAPI 3.1 document, built once at start-up from the route table and the contracts/ schemas
// (OpenAPI 3.1 speaks JSON Schema 2020-12, so the contracts go in as they are, only their `$ref`s
// re-pointed into components/schemas). Validation and documentation share one source.
import { CUSTOM_KEYWORDS } from '../contracts/index.js';
import { ERROR_STATUS, type ErrorCode } from '../errors.js';
import { API_ROUTES, errorCodes, isPublic, JSON_MEDIA_TYPE, NDJSON_MEDIA_TYPE, type ApiRoute, type SuccessAnswer } from '../http/index.js';
import { packageVersion } from '../paths.js';

export interface OpenApiOptions {
  routes: readonly ApiRoute[];
  /** Contracts.schemas: the raw contract documents by $id (`run_skill.json`). */
  schemas: ReadonlyMap<string, object>;
  /** config.server.public_routes */
  publicPaths: readonly string[];
  /** Where clients reach the service; `/` (relative to where the document was read) by default. */
  serverUrl?: string;
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

/**
 * Re-points `X.json`, `X.json#/p` and (inside schema `owner`) `#/p` at components/schemas; a
 * schema's `$defs` become components of their own (`X_def`), so generated clients name them.
 */
function repoint(value: unknown, owner: string): unknown {
  if (Array.isArray(value)) return value.map((item) => repoint(item, owner));
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    if ((CUSTOM_KEYWORDS as readonly string[]).includes(key)) {
      // Not JSON Schema: an OpenAPI document carries it only as an extension.
      out[`x-${key.replace(/_/g, '-')}`] = item;
    } else if (key === '$ref' && typeof item === 'string') {
      const [file = '', pointer = ''] = item.split('#');
      const def = /^\/\$defs\/([^/]+)(.*)$/.exec(pointer);
      const target = componentName(file || owner);
      out.$ref = def ? `#/components/schemas/${target}_${def[1]}${def[2]}` : `#/components/schemas/${target}${pointer}`;
    } else {
      out[key] = repoint(item, owner);
    }
  }
  return out;
}

function componentSchemas(schemas: ReadonlyMap<string, object>): Record<string, unknown> {
  const components: Record<string, unknown> = {};
  for (const [id, schema] of schemas) {
    const { $id: _id, $schema: _dialect, $defs, ...rest } = schema as Record<string, unknown>;
    components[componentName(id)] = repoint(rest, id);
    for (const [def, defSchema] of Object.entries(($defs ?? {}) as Record<string, unknown>)) {
      const name = `${componentName(id)}_${def}`;
      if (schemas.has(`${name}.json`)) throw new Error(`${id}#/$defs/${def} would be named ${name}, which is a contract of its own`);
      components[name] = repoint(defSchema, id);
    }
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
  const content: Record<string, object> = { [JSON_MEDIA_TYPE]: { schema: componentRef(route.body.schema) } };
  for (const type of route.body.raw ?? []) content[type] = { schema: { type: 'string', contentMediaType: type } };
  return { required: true, content };
}

function successContent(answer: SuccessAnswer): Record<string, object> {
  if (answer.produces) return { [answer.produces]: { schema: { type: 'string' } } };
  const content: Record<string, object> = { [JSON_MEDIA_TYPE]: { schema: answer.schema ? componentRef(answer.schema) : { type: 'object' } } };
  // OpenAPI 3.1 has no item schema for a stream: the schema given is that of each line.
  if (answer.ndjson) content[NDJSON_MEDIA_TYPE] = { schema: componentRef(answer.ndjson), 'x-ndjson-line': true };
  return content;
}

function responses(route: ApiRoute, publicPaths: ReadonlySet<string>): Record<string, object> {
  const out: Record<string, object> = {};
  for (const [status, answer] of Object.entries(route.ok)) {
    out[status] = { description: answer.description, content: successContent(answer) };
  }
  for (const code of errorCodes(route, publicPaths)) {
    const retry = code === 'overloaded' || code === 'unavailable' || code === 'storage_unavailable';
    const status = String(ERROR_STATUS[code]);
    // Two codes can share a status (503): one response names both.
    const before = (out[status] as { description?: string } | undefined)?.description;
    out[status] = {
      description: `${before ? `${before}; ` : ''}${code}: ${ERROR_MEANING[code]}`,
      ...(retry ? { headers: { 'Retry-After': { description: 'seconds to wait', schema: { type: 'integer' } } } } : {}),
      content: { [JSON_MEDIA_TYPE]: { schema: componentRef(ERROR_SCHEMA) } },
    };
  }
  return out;
}

function operation(route: ApiRoute, schemas: ReadonlyMap<string, object>, publicPaths: ReadonlySet<string>): object {
  const open = isPublic(route, publicPaths);
  const role = open ? 'public' : route.access === 'public' ? 'client' : route.access;
  return {
    operationId: route.id,
    summary: route.summary,
    description: open ? 'Served without a key (server.public_routes).' : `Needs a key with the ${role} role or a higher one (client < author < admin).`,
    'x-required-role': role,
    security: open ? [] : [{ bearer: [] }],
    parameters: parameters(route, schemas),
    ...(route.body ? { requestBody: requestBody(route, schemas) } : {}),
    responses: responses(route, publicPaths),
  };
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
    servers: [{ url: options.serverUrl ?? '/', description: 'this service' }],
    paths,
    components: {
      schemas: componentSchemas(options.schemas),
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'an API key; the service keeps only its sha256' } },
    },
  };
}

/** The service's own document: the route table and contracts/ (what /openapi.json serves). */
export function apiDocument(schemas: ReadonlyMap<string, object>, publicPaths: readonly string[]): object {
  return buildOpenApi({ routes: API_ROUTES, schemas, publicPaths });
}
