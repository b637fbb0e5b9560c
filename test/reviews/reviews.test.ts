// Escalations decided by an admin: GET /v1/reviews, POST /v1/reviews/{id}/approve and /reject.
import assert from 'node:assert/strict';
import { assertNoContainersLeft } from '../helpers/docker.js';
import { startTestService, type TestService } from '../helpers/service.js';

describe('reviews of escalated skills', function () {
  let t: TestService;
  const greedy = (name: string) => ({
    name, version: '1.0.0', description: 'asks for more memory than the maximum', runtime: 'python3', entrypoint: 'main.py', handler: 'run',
    limits: { memory_mb: 4096 },
    code: 'def run(inp):\n    return {"ok": True}\n',
  });

  before(async function () {
    t = await startTestService();
  });

  after(async function () {
    await t.close();
    await assertNoContainersLeft(t.dataDir);
  });

  it('lists an escalated create as pending, and approval makes it run', async function () {
    const created = await t.as('author').post('/v1/skills/create').send(greedy('big-memory'));
    assert.equal(created.status, 202, JSON.stringify(created.body));
    assert.equal(created.body.skill.status, 'pending_review');
    assert.equal(created.body.review.decision, 'ESCALATE');

    const pending = await t.as('admin').get('/v1/reviews');
    assert.equal(pending.status, 200);
    const entry = pending.body.reviews.find((r: { id: string }) => r.id === 'big-memory@1.0.0');
    assert.ok(entry, JSON.stringify(pending.body));
    assert.equal(entry.review.decision, 'ESCALATE');

    const blocked = await t.as('client').post('/v1/skills/run').send({ skill: 'big-memory', input: {} });
    assert.equal(blocked.status, 409);

    const approved = await t.as('admin').post('/v1/reviews/big-memory@1.0.0/approve').send({ reason: 'needs the memory' });
    assert.equal(approved.status, 200, JSON.stringify(approved.body));
    assert.equal(approved.body.skill.status, 'active');

    const ran = await t.as('client').post('/v1/skills/run').send({ skill: 'big-memory', input: {} });
    assert.equal(ran.status, 200, JSON.stringify(ran.body));
    assert.deepEqual(ran.body.result, { ok: true });
    // Approved beyond the maximum, it still runs within it.
    assert.equal(ran.body.limits.memory_mb, 1024);

    const events = await t.service.audit.query({ event: 'review.approve', skill: 'big-memory' });
    assert.equal(events.length, 1);
    assert.equal(events[0]?.actor, 'admin-key');
  });

  it('rejection keeps the skill as blocked, and it never runs', async function () {
    await t.as('author').post('/v1/skills/create').send({ ...greedy('net-skill'), limits: undefined, permissions: { network: ['https://api.example.com'] } });
    const rejected = await t.as('admin').post('/v1/reviews/net-skill@1.0.0/reject').send({});
    assert.equal(rejected.status, 200, JSON.stringify(rejected.body));
    assert.equal(rejected.body.skill.status, 'blocked');
    const run = await t.as('client').post('/v1/skills/run').send({ skill: 'net-skill', input: {} });
    assert.equal(run.status, 409);
    const again = await t.as('admin').post('/v1/reviews/net-skill@1.0.0/approve').send({});
    assert.equal(again.status, 409);
  });

  it('keeps who created a skill, and the decision with its reason, on the skill\'s record', async function () {
    await t.as('author').post('/v1/skills/create').send(greedy('reasoned'));
    const pending = (await t.as('admin').get('/v1/reviews')).body.reviews.find((r: { id: string }) => r.id === 'reasoned@1.0.0');
    assert.equal(pending.created_by, 'author-key');
    const rejected = await t.as('admin').post('/v1/reviews/reasoned@1.0.0/reject').send({ reason: 'four GiB is too much' });
    assert.equal(rejected.status, 200, JSON.stringify(rejected.body));
    assert.equal(rejected.body.review_decision.reason, 'four GiB is too much');
    const [version] = (await t.as('client').get('/v1/skills/reasoned')).body.versions;
    assert.equal(version.status, 'blocked');
    assert.equal(version.created_by, 'author-key');
    assert.deepEqual({ ...version.review_decision, decided_at: undefined }, { verdict: 'reject', reason: 'four GiB is too much', actor: 'admin-key', decided_at: undefined });
    assert.deepEqual(version.files, { 'main.py': greedy('reasoned').code });
    const [event] = await t.service.audit.query({ event: 'review.reject', skill: 'reasoned' });
    assert.deepEqual(event?.details, { reason: 'four GiB is too much' });
  });

  it('answers 404 for an unknown review, 400 for a malformed id and 403 below admin', async function () {
    assert.equal((await t.as('admin').post('/v1/reviews/nope@1.0.0/approve').send({})).status, 404);
    assert.equal((await t.as('admin').post('/v1/reviews/..%2Fetc/approve').send({})).status, 400);
    assert.equal((await t.as('author').get('/v1/reviews')).status, 403);
  });
});
