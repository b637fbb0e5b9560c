// A battery of malformed requests against the real service: each one answers a 4xx in the SPEC's
// shape (never a 5xx, never a stack), and none of them changes anything.
import assert from 'node:assert/strict';
import supertest from 'supertest';
import type { ErrorCode } from '../../server/src/errors.js';
import { MAX_JSON_DEPTH } from '../../server/src/http/body.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { assertError } from './support.js';

interface Case {
  name: string;
  code: ErrorCode;
  send(t: TestService): supertest.Test;
}

const RUN = '/v1/skills/run';
const deep = (levels: number): string => `{"skill": "word-count", "input": ${'['.repeat(levels)}${']'.repeat(levels)}}`;

const CASES: Case[] = [
  // Bodies that are not what a JSON route takes.
  { name: 'invalid JSON', code: 'validation_failed', send: (t) => t.as('client').post(RUN).type('json').send('{"skill": "word-count", ') },
  { name: 'a JSON array', code: 'validation_failed', send: (t) => t.as('client').post(RUN).type('json').send('[{"skill": "word-count"}]') },
  { name: 'a JSON string', code: 'validation_failed', send: (t) => t.as('client').post(RUN).type('json').send('"word-count"') },
  { name: 'an empty JSON body', code: 'validation_failed', send: (t) => t.as('client').post(RUN).type('json').send('') },
  { name: 'no body at all', code: 'validation_failed', send: (t) => t.as('client').post(RUN) },
  { name: 'the fields in the query string instead of a body', code: 'validation_failed', send: (t) => t.as('client').post(`${RUN}?skill=word-count&input=x`) },
  { name: 'a urlencoded body', code: 'unsupported_media_type', send: (t) => t.as('client').post(RUN).type('form').send('skill=word-count&input=x') },
  { name: 'text/plain', code: 'unsupported_media_type', send: (t) => t.as('client').post(RUN).type('text/plain').send('{"skill": "word-count", "input": {}}') },
  { name: 'charset=latin1', code: 'unsupported_media_type', send: (t) => t.as('client').post(RUN).set('Content-Type', 'application/json; charset=latin1').send('{"skill": "word-count", "input": {}}') },
  { name: 'a gzip-encoded body', code: 'unsupported_media_type', send: (t) => t.as('client').post(RUN).type('json').set('Content-Encoding', 'gzip').send('{"skill": "word-count", "input": {}}') },
  { name: 'a package on a JSON-only route', code: 'unsupported_media_type', send: (t) => t.as('admin').post('/v1/skills/uninstall').type('application/gzip').send(Buffer.from([0x1f, 0x8b, 0, 0])) },
  { name: 'a body over the limit', code: 'payload_too_large', send: (t) => t.as('client').post(RUN).send({ skill: 'word-count', input: { text: 'x'.repeat(2 * 1024 * 1024) } }) },
  { name: `input nested ${MAX_JSON_DEPTH + 10} levels`, code: 'validation_failed', send: (t) => t.as('client').post(RUN).type('json').send(deep(MAX_JSON_DEPTH + 10)) },
  { name: 'input nested 200 000 levels', code: 'validation_failed', send: (t) => t.as('client').post(RUN).type('json').send(deep(200_000)) },
  { name: 'a __proto__ key in the input', code: 'validation_failed', send: (t) => t.as('client').post(RUN).type('json').send('{"skill": "word-count", "input": {"text": "a", "__proto__": {"admin": true}}}') },
  // Bodies of the right type with the wrong content.
  { name: 'the skill name as a number', code: 'validation_failed', send: (t) => t.as('client').post(RUN).send({ skill: 5, input: {} }) },
  { name: 'no input', code: 'validation_failed', send: (t) => t.as('client').post(RUN).send({ skill: 'word-count' }) },
  { name: 'an unknown field', code: 'validation_failed', send: (t) => t.as('client').post(RUN).send({ skill: 'word-count', input: { text: 'a' }, sudo: true }) },
  { name: 'a skill name that is a path', code: 'validation_failed', send: (t) => t.as('client').post(RUN).send({ skill: '../../etc/passwd', input: {} }) },
  { name: 'a version that is not semver', code: 'validation_failed', send: (t) => t.as('client').post(RUN).send({ skill: 'word-count', version: 'latest', input: {} }) },
  { name: 'both skill and intent', code: 'validation_failed', send: (t) => t.as('client').post(RUN).send({ skill: 'word-count', intent: 'count', input: {} }) },
  { name: 'limits of the wrong type', code: 'validation_failed', send: (t) => t.as('client').post(RUN).send({ skill: 'word-count', input: { text: 'a' }, limits: { timeout_ms: '1000' } }) },
  { name: 'limits above the admin maximum', code: 'validation_failed', send: (t) => t.as('client').post(RUN).send({ skill: 'word-count', input: { text: 'a' }, limits: { memory_mb: 4096 } }) },
  { name: 'input that breaks the skill input_schema', code: 'validation_failed', send: (t) => t.as('client').post(RUN).send({ skill: 'word-count', input: { text: 42 } }) },
  { name: 'a limit policy with defaults above max', code: 'validation_failed', send: (t) => t.as('admin').put('/v1/admin/limits').send({ ...t.service.config.limits, defaults: { ...t.service.config.limits.defaults, timeout_ms: 999_999 } }) },
  { name: 'half a limit policy', code: 'validation_failed', send: (t) => t.as('admin').put('/v1/admin/limits').send({ concurrency: 2 }) },
  // Query strings.
  { name: 'audit limit 0', code: 'validation_failed', send: (t) => t.as('admin').get('/v1/audit?limit=0') },
  { name: 'audit limit 1001', code: 'validation_failed', send: (t) => t.as('admin').get('/v1/audit?limit=1001') },
  { name: 'audit limit that is not a number', code: 'validation_failed', send: (t) => t.as('admin').get('/v1/audit?limit=ten') },
  { name: 'audit limit -5', code: 'validation_failed', send: (t) => t.as('admin').get('/v1/audit?limit=-5') },
  { name: 'audit limit 1e3', code: 'validation_failed', send: (t) => t.as('admin').get('/v1/audit?limit=1e3') },
  { name: 'audit limit given twice', code: 'validation_failed', send: (t) => t.as('admin').get('/v1/audit?limit=1&limit=2') },
  { name: 'audit since that is not a date', code: 'validation_failed', send: (t) => t.as('admin').get('/v1/audit?since=yesterday') },
  { name: 'audit since with month 13', code: 'validation_failed', send: (t) => t.as('admin').get('/v1/audit?since=2024-13-01T00:00:00Z') },
  { name: 'audit since without a time zone', code: 'validation_failed', send: (t) => t.as('admin').get('/v1/audit?since=2024-01-01T00:00:00') },
  { name: 'audit since as a leap second', code: 'validation_failed', send: (t) => t.as('admin').get('/v1/audit?since=2016-12-31T23:59:60Z') },
  { name: 'an unknown audit filter', code: 'validation_failed', send: (t) => t.as('admin').get('/v1/audit?user=ops') },
  { name: 'a bracketed audit filter', code: 'validation_failed', send: (t) => t.as('admin').get('/v1/audit?event[$ne]=run') },
  // Methods and routes.
  { name: 'DELETE on the run route', code: 'not_found', send: (t) => supertest(t.service.app).delete(RUN).set('Authorization', `Bearer ${t.keys.client}`) },
  { name: 'PATCH on the limits', code: 'not_found', send: (t) => supertest(t.service.app).patch('/v1/admin/limits').set('Authorization', `Bearer ${t.keys.admin}`).send({}) },
  { name: 'POST on a GET route', code: 'not_found', send: (t) => t.as('admin').post('/v1/audit').send({}) },
  { name: 'an unknown route', code: 'not_found', send: (t) => t.as('client').get('/v1/nothing-here') },
  { name: 'a route with an extra segment', code: 'not_found', send: (t) => t.as('client').post(`${RUN}/extra`).send({}) },
  { name: 'an encoded dot-dot path', code: 'not_found', send: (t) => t.as('client').get('/v1/%2e%2e/%2e%2e/etc/passwd') },
  { name: 'a skill that does not exist', code: 'not_found', send: (t) => t.as('client').post(RUN).send({ skill: 'no-such-skill', input: {} }) },
];

describe('malformed requests: always a 4xx in the SPEC shape, never a 5xx', () => {
  let t: TestService;
  before(async () => {
    t = await startTestService();
  });
  after(async () => {
    await t?.close();
  });

  for (const testCase of CASES) {
    it(`${testCase.name} → ${testCase.code}`, async () => {
      assertError(await testCase.send(t), testCase.code);
    });
  }

  it('answers a wrong method with the methods the path takes', async () => {
    const res = await supertest(t.service.app).delete('/v1/admin/limits').set('Authorization', `Bearer ${t.keys.admin}`);
    assertError(res, 'not_found');
    assert.deepEqual(res.body.error.details.allow, ['GET', 'PUT']);
    assert.equal(res.headers.allow, 'GET, PUT');
  });

  it('takes a body with a UTF-8 byte order mark', async () => {
    const res = await t.as('client').post(RUN).type('json').send(`\uFEFF${JSON.stringify({ skill: 'word-count', input: { text: 'one two' } })}`);
    assert.equal(res.status, 200, res.text.slice(0, 300));
    assert.deepEqual(res.body.result, { words: 2 });
  });

  it('reads keys named constructor or prototype as plain input (the skill schema refuses them), polluting nothing', async () => {
    const input = { text: 'one two', constructor: { prototype: { polluted: true } }, prototype: 'x' };
    const res = await t.as('client').post(RUN).send({ skill: 'word-count', input });
    assertError(res, 'validation_failed');
    assert.match(JSON.stringify(res.body.error.details), /constructor|prototype/);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  it('changed nothing: the limit policy is the configured one', async () => {
    const res = await t.as('admin').get('/v1/admin/limits').expect(200);
    assert.deepEqual(res.body, t.service.config.limits);
  });
});
