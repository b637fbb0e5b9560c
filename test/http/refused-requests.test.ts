// Requests refused before any use case starts are on the record too: a body or query that breaks
// its contract, a body that is not JSON or not JSON at all, from an authenticated caller, is one
// `request.refused` line with the error code, the route's operation id and where the schema was
// broken, never the body. A refusal the use case makes is its own event, never a second line; an
// unknown path or a wrong method writes nothing; an unauthenticated probe writes auth.refused only.
import assert from 'node:assert/strict';
import supertest from 'supertest';
import { MAX_QUERY_LIMIT, type AuditEntry } from '../../server/src/audit/index.js';
import { linesOfRequest, oneLineOfRequest } from '../audit/helpers.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { assertError } from './support.js';

const SECRET_KEY_NAME = 'hidden_field_4b1d';
const SECRET_VALUE = 'confidential-value-93c2';

describe('refused requests are audited (request.refused)', () => {
  let t: TestService;

  before(async () => {
    t = await startTestService();
  });
  after(async () => {
    await t?.close();
  });

  const requestId = (res: supertest.Response): string => res.headers['x-request-id']!;
  const lastSeq = async (): Promise<number> => (await t.service.audit.query({ limit: 1 }))[0]?.seq ?? 0;
  const linesAfter = async (seq: number): Promise<AuditEntry[]> => (await t.service.audit.query({ limit: MAX_QUERY_LIMIT })).filter((e) => e.seq > seq);

  it('records a body that breaks its contract as one line: validation_failed, the key id, where the schema broke, no body content', async () => {
    const res = await t.as('client').post('/v1/skills/run').send({ skill: 'word-count', input: { text: SECRET_VALUE }, [SECRET_KEY_NAME]: SECRET_VALUE });
    assertError(res, 'validation_failed');
    const line = await oneLineOfRequest(t.service.audit, requestId(res));
    assert.deepEqual([line.event, line.actor, line.outcome, line.skill, line.version], ['request.refused', 'client-key', 'validation_failed', null, null]);
    assert.equal(line.details?.operation, 'runSkill');
    assert.equal(line.details?.method, 'POST');
    assert.equal(line.details?.path, '/v1/skills/run');
    assert.ok((line.details?.schema_paths as string[]).includes('#/additionalProperties'), JSON.stringify(line.details));
    const text = JSON.stringify(line);
    assert.ok(!text.includes(SECRET_VALUE) && !text.includes(SECRET_KEY_NAME), text);
  });

  it('records a query that breaks its contract, a body that is not JSON, and one of another media type, each with its code', async () => {
    const query = await t.as('admin').get('/v1/audit?limit=many');
    assertError(query, 'validation_failed');
    const notJson = await t.as('author').post('/v1/skills/create').set('Content-Type', 'application/json').send(`{"code": "${SECRET_VALUE}"`);
    assertError(notJson, 'validation_failed');
    const plain = await t.as('author').post('/v1/skills/create').set('Content-Type', 'text/plain').send(SECRET_VALUE);
    assertError(plain, 'unsupported_media_type');
    const expected = [[query, 'queryAudit', 'admin-key', 'validation_failed'], [notJson, 'createSkill', 'author-key', 'validation_failed'],
      [plain, 'createSkill', 'author-key', 'unsupported_media_type']] as const;
    for (const [res, operation, actor, outcome] of expected) {
      const line = await oneLineOfRequest(t.service.audit, requestId(res));
      assert.deepEqual([line.event, line.details?.operation, line.actor, line.outcome], ['request.refused', operation, actor, outcome]);
      assert.ok(!JSON.stringify(line).includes(SECRET_VALUE));
    }
  });

  it('keeps a line small however many ways a body is wrong', async () => {
    const wrong = Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`extra_${i}_${'x'.repeat(200)}`, i]));
    const res = await t.as('author').post('/v1/skills/create').send({ ...wrong, name: 7, version: [], code: {} });
    assertError(res, 'validation_failed');
    const line = await oneLineOfRequest(t.service.audit, requestId(res));
    assert.equal((line.details?.schema_paths as unknown[]).length, 3);
    assert.ok(JSON.stringify(line).length < 2048, `${JSON.stringify(line).length} bytes`);
  });

  it('leaves a refusal the use case makes to the use case: one run line, no request.refused', async () => {
    const unknown = await t.as('client').post('/v1/skills/run').send({ skill: 'no-such-skill', input: {} });
    assertError(unknown, 'not_found');
    const line = await oneLineOfRequest(t.service.audit, requestId(unknown));
    assert.deepEqual([line.event, line.outcome, line.skill], ['run', 'not_found', 'no-such-skill']);
  });

  it('records a role refusal once, as auth.refused, even when the body would be refused too', async () => {
    const res = await t.as('client').post('/v1/skills/promote').send({ [SECRET_KEY_NAME]: SECRET_VALUE });
    assertError(res, 'forbidden');
    const line = await oneLineOfRequest(t.service.audit, requestId(res));
    assert.deepEqual([line.event, line.outcome], ['auth.refused', 'forbidden']);
  });

  it('writes nothing for an unknown path or a wrong method with a valid key', async () => {
    const before = await lastSeq();
    assertError(await t.as('client').get('/v1/no-such-thing'), 'not_found');
    assertError(await t.as('client').post('/v1/no-such-thing').send({ [SECRET_KEY_NAME]: SECRET_VALUE }), 'not_found');
    assertError(await t.as('client').get('/v1/skills/run'), 'method_not_allowed');
    assertError(await t.as('admin').put('/v1/skills/create').send({}), 'method_not_allowed');
    assert.deepEqual(await linesAfter(before), []);
  });

  it('writes one auth.refused line per unauthenticated probe of a random path, and nothing else', async () => {
    const before = await lastSeq();
    const probes = ['/v1/admin/secret', '/etc/passwd', '/v1/skills/run'];
    for (const path of probes) {
      const res = await supertest(t.service.app).post(path).set('Content-Type', 'application/json').send('{"not": json');
      assertError(res, 'unauthorized');
      const lines = await linesOfRequest(t.service.audit, requestId(res));
      assert.deepEqual(lines.map((e) => [e.event, e.outcome]), [['auth.refused', 'unauthorized']]);
    }
    assert.equal((await linesAfter(before)).length, probes.length);
  });
});
