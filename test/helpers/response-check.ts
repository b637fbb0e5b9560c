// Every response a test receives through supertest is checked against the OpenAPI document (loaded
// by mocha before any test, see .mocharc.json): its status must be documented for its route, and its
// body must match the schema of its media type (NDJSON line by line). A drift between what the
// service answers and what it documents fails the test that saw it.
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import supertest from 'supertest';
import { loadContracts } from '../../server/src/contracts/index.js';
import { API_ROUTES, routeMatcher } from '../../server/src/http/api.js';
import { apiDocument } from '../../server/src/openapi/index.js';

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

interface MediaType { schema?: object }
interface DocResponse { content?: Record<string, MediaType> }
interface Doc { paths: Record<string, Record<string, { responses: Record<string, DocResponse> }>>; components: object }

// Every route documents its 401 here: tests also run services that take routes out of public_routes.
const document = apiDocument(loadContracts().schemas, []) as Doc;
const match = routeMatcher(API_ROUTES);
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addSchema({ $id: 'openapi.json', components: document.components });
const validators = new Map<object, ValidateFunction>();

function validatorOf(schema: object): ValidateFunction {
  let validate = validators.get(schema);
  if (!validate) {
    // The schemas point into #/components of the document, which the validator knows as openapi.json.
    validate = ajv.compile(JSON.parse(JSON.stringify(schema).replace(/"#\/components\//g, '"openapi.json#/components/')) as object);
    validators.set(schema, validate);
  }
  return validate;
}

interface SeenResponse {
  status: number;
  type: string;
  text?: string;
  body: unknown;
  req: { method: string; path: string };
}

function check(schema: object | undefined, value: unknown, where: string): string | undefined {
  if (!schema) return undefined;
  const validate = validatorOf(schema);
  if (validate(value)) return undefined;
  return `${where} does not match the OpenAPI document: ${ajv.errorsText(validate.errors)}; body: ${JSON.stringify(value).slice(0, 400)}`;
}

/** What is wrong with a response, judged by the document; undefined when it matches. */
export function responseProblem(res: SeenResponse): string | undefined {
  const method = res.req.method.toUpperCase();
  if (method === 'HEAD') return undefined;
  const url = new URL(res.req.path, 'http://service');
  const route = match(method, url.pathname).route;
  const where = `${method} ${url.pathname} -> ${res.status}`;
  const errorSchema = { $ref: '#/components/schemas/error' };
  if (!route) {
    // Not a documented route (a test app's own, or an unknown path): only the error shape is known.
    return res.status >= 400 && res.type === 'application/json' ? check(errorSchema, res.body, where) : undefined;
  }
  const documented = document.paths[route.path]?.[route.method.toLowerCase()]?.responses[String(res.status)];
  if (!documented) return `${where}: the status is not documented for ${route.method} ${route.path}`;
  const media = documented.content?.[res.type];
  if (!media) return `${where}: ${res.type} is not a documented media type of this answer`;
  if (res.type === 'application/x-ndjson') {
    // A test that parses the stream itself receives the text as its body.
    const text = res.text ?? (typeof res.body === 'string' ? res.body : '');
    for (const line of text.split('\n').filter((l) => l.length > 0)) {
      const problem = check(media.schema, JSON.parse(line) as unknown, `${where} NDJSON line`);
      if (problem) return problem;
    }
    return undefined;
  }
  return check(media.schema, res.type === 'application/json' ? res.body : res.text, where);
}

type AssertFn = (this: supertest.Test, resError: Error | null, res: SeenResponse | undefined, fn?: (error: Error | null, res: unknown) => void) => void;
const Test = supertest.Test as unknown as { prototype: { assert: AssertFn } };
const original = Test.prototype.assert;
Test.prototype.assert = function assertAgainstDocument(resError, res, fn) {
  const problem = res ? responseProblem(res) : undefined;
  if (problem && fn) return fn.call(this, new Error(problem), res);
  return original.call(this, resError, res, fn);
};
