// The OpenAPI document: every SPEC route with its role, request schema and error answers, built from
// contracts/ so that what it documents is what the service validates.
import assert from 'node:assert/strict';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { defaultConfig } from '../../server/src/config/index.js';
import { loadContracts } from '../../server/src/contracts/index.js';
import { ERROR_STATUS } from '../../server/src/errors.js';
import { API_ROUTES, type ApiRoute } from '../../server/src/http/api.js';
import { buildOpenApi } from '../../server/src/openapi/index.js';
import { SPEC_ROUTES } from './support.js';

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

interface Operation {
  'x-required-role': string;
  security: unknown[];
  parameters: Array<{ name: string; in: string }>;
  requestBody?: { content: Record<string, { schema: { $ref?: string } }> };
  responses: Record<string, { content?: Record<string, { schema: { $ref?: string } }>; headers?: Record<string, unknown> }>;
}

type Doc = { openapi: string; paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, unknown> } };

function pointerTarget(doc: unknown, ref: string): unknown {
  assert.ok(ref.startsWith('#/'), `a local reference: ${ref}`);
  return ref.slice(2).split('/').reduce<unknown>((node, part) => (node as Record<string, unknown> | undefined)?.[part.replace(/~1/g, '/').replace(/~0/g, '~')], doc);
}

function allRefs(node: unknown, found: string[] = []): string[] {
  if (Array.isArray(node)) node.forEach((item) => allRefs(item, found));
  else if (typeof node === 'object' && node !== null) {
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref' && typeof value === 'string') found.push(value);
      else allRefs(value, found);
    }
  }
  return found;
}

describe('OpenAPI document', () => {
  const contracts = loadContracts();
  const publicPaths = defaultConfig().server.public_routes;
  const doc = buildOpenApi({ routes: API_ROUTES, schemas: contracts.schemas, publicPaths }) as Doc;
  const op = (method: string, path: string): Operation => {
    const found = doc.paths[path]?.[method.toLowerCase()];
    assert.ok(found, `${method} ${path} is documented`);
    return found;
  };

  it('is OpenAPI 3.1 and lists exactly the SPEC routes, each with its role', () => {
    assert.equal(doc.openapi, '3.1.0');
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`)).sort();
    assert.deepEqual(documented, SPEC_ROUTES.map((r) => `${r.method} ${r.path}`).sort());
    for (const route of SPEC_ROUTES) {
      const operation = op(route.method, route.path);
      assert.equal(operation['x-required-role'], route.role, `${route.method} ${route.path}`);
      assert.deepEqual(operation.security, route.role === 'public' ? [] : [{ bearer: [] }]);
    }
  });

  it('gives every route its error answers, in the error schema', () => {
    for (const route of SPEC_ROUTES) {
      const { responses } = op(route.method, route.path);
      const expected = ['500', ...(route.role === 'public' ? [] : ['401']), ...(route.role === 'author' || route.role === 'admin' ? ['403'] : [])];
      for (const status of expected) assert.ok(responses[status], `${route.method} ${route.path} documents ${status}`);
      if (route.role === 'client' || route.role === 'public') assert.equal(responses['403'], undefined, `${route.path}: no key is below client`);
      for (const [status, response] of Object.entries(responses)) {
        if (Number(status) < 400) continue;
        assert.ok(Object.values(ERROR_STATUS).includes(Number(status) as never), `${status} is a SPEC status`);
        assert.equal(response.content?.['application/json']?.schema.$ref, '#/components/schemas/error');
        if (status === '429' || status === '503') assert.ok(response.headers?.['Retry-After'], `${route.path} ${status} documents Retry-After`);
      }
    }
  });

  it('documents request bodies and the audit query with the contracts the service validates against', () => {
    for (const route of (API_ROUTES as readonly ApiRoute[]).filter((r) => r.body)) {
      const body = op(route.method, route.path).requestBody;
      assert.equal(body?.content['application/json']?.schema.$ref, `#/components/schemas/${route.body!.schema.replace(/\.json$/, '')}`);
      for (const path of ['400', '413', '415']) assert.ok(op(route.method, route.path).responses[path], `${route.path} ${path}`);
    }
    assert.ok(op('POST', '/v1/skills/install').requestBody?.content['application/gzip'], 'install takes a package');
    assert.deepEqual(op('GET', '/v1/audit').parameters.map((p) => `${p.in}:${p.name}`), ['query:event', 'query:skill', 'query:since', 'query:actor', 'query:until', 'query:before', 'query:limit']);
    assert.deepEqual(op('GET', '/v1/skills/{name}').parameters.map((p) => `${p.in}:${p.name}`), ['path:name']);
  });

  it('resolves every $ref inside the document', () => {
    const refs = allRefs(doc);
    assert.ok(refs.length > 20);
    for (const ref of refs) assert.ok(pointerTarget(doc, ref) !== undefined, `${ref} resolves`);
  });

  it('validates as the contracts do (the re-pointed schemas still mean the same)', () => {
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats(ajv);
    ajv.addSchema({ $id: 'openapi', components: doc.components });
    const policy = ajv.getSchema('openapi#/components/schemas/limit_policy')!;
    assert.equal(policy(defaultConfig().limits), true, JSON.stringify(policy.errors));
    assert.equal(policy({ ...defaultConfig().limits, extra: 1 }), false);
    assert.equal(policy({ ...defaultConfig().limits, max: { ...defaultConfig().limits.max, cpus: 0 } }), false);
    const run = ajv.getSchema('openapi#/components/schemas/run_skill')!;
    assert.equal(run({ skill: 'word-count', input: {}, limits: { timeout_ms: 1000 } }), true, JSON.stringify(run.errors));
    assert.equal(run({ skill: 'word-count', input: {}, limits: { timeout_ms: 1 } }), false);
  });

  it('marks a route that config takes out of server.public_routes as needing a key', () => {
    const guarded = buildOpenApi({ routes: API_ROUTES, schemas: contracts.schemas, publicPaths: ['/healthz'] }) as Doc;
    assert.equal(guarded.paths['/metrics']!.get!['x-required-role'], 'client');
    assert.ok(guarded.paths['/metrics']!.get!.responses['401']);
    assert.equal(guarded.paths['/healthz']!.get!['x-required-role'], 'public');
  });
});
