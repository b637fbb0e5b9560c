// The routes around the audit log: GET /v1/audit (newest first, filtered) and the limit policy,
// changed at run time through PUT /v1/admin/limits, persisted across a restart and audited.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import supertest from 'supertest';
import { createService } from '../../server/src/app.js';
import type { AuditEntry } from '../../server/src/audit/types.js';
import type { LimitPolicy } from '../../server/src/service/policy.js';
import { quietLogger, startTestService, type TestService } from '../helpers/service.js';
import { assertError } from './support.js';

const TEXT = { skill: 'word-count', input: { text: 'the quick brown fox' } };

function events(body: { events: AuditEntry[] }): AuditEntry[] {
  return body.events;
}

describe('GET /v1/audit', () => {
  let t: TestService;
  before(async () => {
    t = await startTestService();
    await t.as('client').post('/v1/skills/run').send(TEXT).expect(200);
    await t.as('client').get('/v1/audit'); // refused: one auth.refused event
    await t.as('client').post('/v1/skills/run').send(TEXT).expect(200);
  });
  after(async () => {
    await t?.close();
  });

  it('lists events newest first', async () => {
    const listed = events((await t.as('admin').get('/v1/audit').expect(200)).body);
    assert.ok(listed.length >= 3);
    const seqs = listed.map((e) => e.seq);
    assert.deepEqual(seqs, [...seqs].sort((a, b) => b - a));
    assert.deepEqual(listed.slice(0, 3).map((e) => e.event), ['run', 'auth.refused', 'run']);
  });

  it('filters by event and by skill', async () => {
    const runs = events((await t.as('admin').get('/v1/audit?event=run').expect(200)).body);
    assert.equal(runs.length, 2);
    assert.ok(runs.every((e) => e.event === 'run' && e.skill === 'word-count' && e.actor === 'client-key' && e.outcome === 'succeeded'));
    const forSkill = events((await t.as('admin').get('/v1/audit?skill=word-count').expect(200)).body);
    assert.ok(forSkill.length >= 2 && forSkill.every((e) => e.skill === 'word-count'));
    assert.deepEqual(events((await t.as('admin').get('/v1/audit?skill=no-such-skill').expect(200)).body), []);
  });

  it('filters by since, as a date-time with an offset or a date', async () => {
    const all = events((await t.as('admin').get('/v1/audit').expect(200)).body);
    const newest = all[0]!;
    const fromNewest = events((await t.as('admin').get(`/v1/audit?since=${encodeURIComponent(newest.time)}`).expect(200)).body);
    assert.ok(fromNewest.length >= 1 && fromNewest.every((e) => Date.parse(e.time) >= Date.parse(newest.time)));
    const inTheFuture = encodeURIComponent('2999-01-01T00:00:00+02:00');
    assert.deepEqual(events((await t.as('admin').get(`/v1/audit?since=${inTheFuture}`).expect(200)).body), []);
    assert.equal(events((await t.as('admin').get('/v1/audit?since=2000-01-01').expect(200)).body).length, all.length);
  });

  it('returns at most limit events, 1 to 1000', async () => {
    assert.equal(events((await t.as('admin').get('/v1/audit?limit=1').expect(200)).body).length, 1);
    await t.as('admin').get('/v1/audit?limit=1000').expect(200);
    assertError(await t.as('admin').get('/v1/audit?limit=1001'), 'validation_failed');
    assertError(await t.as('admin').get('/v1/audit?since=not-a-date'), 'validation_failed');
  });

  it('never shows a key or a skill input', async () => {
    const text = JSON.stringify((await t.as('admin').get('/v1/audit?limit=1000').expect(200)).body);
    for (const secret of [...Object.values(t.keys), 'quick brown fox']) assert.ok(!text.includes(secret), `the audit holds ${secret}`);
  });
});

describe('GET and PUT /v1/admin/limits', () => {
  let t: TestService;
  beforeEach(async () => {
    t = await startTestService();
  });
  afterEach(async () => {
    await t?.close();
  });

  const tighter = (base: LimitPolicy): LimitPolicy => ({
    defaults: { ...base.defaults, timeout_ms: 4000, memory_mb: 128 },
    max: { ...base.max, timeout_ms: 8000, memory_mb: 256 },
    concurrency: 2,
    queue: 5,
  });

  it('shows the configured policy', async () => {
    const res = await t.as('admin').get('/v1/admin/limits').expect(200);
    assert.deepEqual(res.body, t.service.config.limits);
  });

  it('replaces it at run time, persists it, and audits before and after', async () => {
    const before = t.service.config.limits;
    const next = tighter(before);
    const res = await t.as('admin').put('/v1/admin/limits').send(next).expect(200);
    assert.deepEqual(res.body, next);
    assertError(await t.as('client').get('/v1/admin/limits'), 'forbidden');
    assert.deepEqual((await t.as('admin').get('/v1/admin/limits').expect(200)).body, next);
    assert.deepEqual(JSON.parse(await readFile(path.join(t.dataDir, 'policy.json'), 'utf8')), next);

    const [event] = events((await t.as('admin').get('/v1/audit?event=limits.update').expect(200)).body);
    assert.equal(event?.actor, 'admin-key');
    assert.equal(event?.outcome, 'ok');
    const { action_id: actionId, ...details } = event?.details ?? {};
    assert.deepEqual(details, { before, after: next });
    // Its intent came first, naming the same action.
    const [intent] = events((await t.as('admin').get('/v1/audit?event=limits.update.intent').expect(200)).body);
    assert.equal(intent?.outcome, 'intent');
    assert.equal(intent?.details?.action_id, actionId);
    assert.ok(intent!.seq < event!.seq);
  });

  it('applies the new maximum to the next run', async () => {
    await t.as('admin').put('/v1/admin/limits').send(tighter(t.service.config.limits)).expect(200);
    const res = await t.as('client').post('/v1/skills/run').send({ ...TEXT, limits: { timeout_ms: 9000 } });
    assertError(res, 'validation_failed');
    await t.as('client').post('/v1/skills/run').send({ ...TEXT, limits: { timeout_ms: 8000 } }).expect(200);
  });

  it('keeps the change across a restart', async () => {
    const next = tighter(t.service.config.limits);
    await t.as('admin').put('/v1/admin/limits').send(next).expect(200);
    await t.service.close();
    // The restarted service takes the first one's place, so afterEach closes it and removes the data_dir.
    t.service = await createService(t.service.config, { logger: quietLogger });
    const res = await supertest(t.service.app).get('/v1/admin/limits').set('Authorization', `Bearer ${t.keys.admin}`).expect(200);
    assert.deepEqual(res.body, next);
  });

  it('refuses an inconsistent policy, changing nothing and auditing the refusal', async () => {
    const before = t.service.config.limits;
    const res = await t.as('admin').put('/v1/admin/limits').send({ ...before, defaults: { ...before.defaults, cpus: 4 } });
    assertError(res, 'validation_failed');
    assertError(await t.as('admin').put('/v1/admin/limits').send({ ...before, extra: 1 }), 'validation_failed');
    assert.deepEqual((await t.as('admin').get('/v1/admin/limits').expect(200)).body, before);
    // The body that breaks the contract is refused by the router, before the use case.
    const refusals = events((await t.as('admin').get('/v1/audit?event=limits.update').expect(200)).body);
    assert.deepEqual(refusals.map((e) => [e.outcome, e.actor, e.request_id]), [['validation_failed', 'admin-key', res.body.error.request_id]]);
    assert.deepEqual(events((await t.as('admin').get('/v1/audit?event=limits.update.intent').expect(200)).body), [], 'no intent: nothing was about to change');
  });

  it('applies concurrent changes one at a time: each audited before is the previous after', async () => {
    const base = t.service.config.limits;
    const policies = [1, 2, 3, 4, 5].map((n) => ({ ...base, concurrency: n }));
    await Promise.all(policies.map((p) => t.as('admin').put('/v1/admin/limits').send(p).expect(200)));
    const updates = events((await t.as('admin').get('/v1/audit?event=limits.update').expect(200)).body).reverse();
    assert.equal(updates.length, 5);
    let previous: unknown = base;
    for (const update of updates) {
      const details = update.details as { before: unknown; after: unknown };
      assert.deepEqual(details.before, previous);
      previous = details.after;
    }
  });
});
