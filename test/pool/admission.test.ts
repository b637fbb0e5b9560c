// Admission under load, through the HTTP API with the warm pool on: `limits.concurrency` runs at
// once, `limits.queue` waiting (their wait shows as queued_ms), and beyond that 429 overloaded with
// Retry-After, while every admitted run still gets a container of its own.
import assert from 'node:assert/strict';
import { assertNoContainersLeft } from '../helpers/docker.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { poolFilled } from './helpers.js';

const SLEEPER = 'import time\n\n\ndef run(inp):\n    started = time.time()\n    time.sleep(1)\n    return {"started": started, "ended": time.time()}\n';

describe('pool: admission under load (HTTP)', function () {
  this.timeout(120_000);
  let t: TestService;

  before(async () => {
    t = await startTestService({ sandbox: { pool: { size: 2 } } });
    await t.as('admin').put('/v1/admin/limits').send({ ...t.service.config.limits, concurrency: 2, queue: 2 }).expect(200);
    const created = await t.as('admin').post('/v1/skills/create').send({
      name: 'sleeper', version: '1.0.0', description: 'sleeps a second', runtime: 'python3', entrypoint: 'main.py', handler: 'run', code: SLEEPER, auto_promote: true,
    });
    assert.equal(created.status, 201, created.text.slice(0, 300));
    assert.equal(created.body.skill.status, 'active');
  });

  after(async () => {
    const { dataDir } = t;
    await t.close();
    await assertNoContainersLeft(dataDir);
  });

  it('runs 2 at once, queues 2 (queued_ms shows the wait), refuses the rest with 429 and Retry-After', async () => {
    await poolFilled(t.dataDir, 2);
    const answers = await Promise.all(Array.from({ length: 6 }, () => t.as('client').post('/v1/skills/run').send({ skill: 'sleeper', input: {} })));
    const ran = answers.filter((res) => res.status === 200);
    const refused = answers.filter((res) => res.status === 429);
    assert.equal(ran.length, 4, answers.map((res) => `${res.status} ${res.text.slice(0, 200)}`).join('\n'));
    assert.equal(refused.length, 2);
    for (const res of refused) {
      assert.equal(res.body.error.code, 'overloaded');
      assert.ok(Number(res.headers['retry-after']) >= 1, 'Retry-After in seconds');
    }

    for (const res of ran) assert.equal(res.body.status, 'succeeded', JSON.stringify(res.body.error));
    const queued = ran.map((res) => res.body.queued_ms as number).sort((a, b) => a - b);
    assert.ok(queued[0]! < 500 && queued[1]! < 500, `the first two waited for nothing: ${queued.join(', ')} ms`);
    assert.ok(queued[2]! >= 700 && queued[3]! >= 700, `the queued two waited for a slot: ${queued.join(', ')} ms`);

    // At no instant did more than 2 skills run: count overlaps of the skills' own clocks.
    const spans = ran.map((res) => res.body.result as { started: number; ended: number });
    const most = Math.max(...spans.map((span) => spans.filter((other) => other.started <= span.started && span.started < other.ended).length));
    assert.ok(most <= 2, `${most} skills ran at once`);
  });

  it('takes a place before reading the skill, and waits at most queue_timeout_ms for a slot', async () => {
    const created = await t.as('admin').post('/v1/skills/create').send({
      name: 'long-sleeper', version: '1.0.0', description: 'sleeps five seconds', runtime: 'python3', entrypoint: 'main.py', handler: 'run',
      code: 'import time\n\n\ndef run(inp):\n    time.sleep(5)\n    return 1\n', auto_promote: true,
    });
    assert.equal(created.status, 201, created.text.slice(0, 300));
    const limits = { ...t.service.config.limits, concurrency: 1, queue: 0, queue_timeout_ms: 200 };
    await t.as('admin').put('/v1/admin/limits').send(limits).expect(200);
    const long = t.as('client').post('/v1/skills/run').send({ skill: 'long-sleeper', input: {} }).then((res) => res);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    // The only slot is taken and there is no queue: the service answers 429 before it looks for the skill.
    const unknown = await t.as('client').post('/v1/skills/run').send({ skill: 'no-such-skill', input: {} });
    assert.equal(unknown.status, 429, unknown.text.slice(0, 300));

    await t.as('admin').put('/v1/admin/limits').send({ ...limits, queue: 1 }).expect(200);
    // One place in the queue now: the next run waits there, but not past queue_timeout_ms (the first sleeps 5 s).
    const waited = await t.as('client').post('/v1/skills/run').send({ skill: 'sleeper', input: {} });
    assert.equal(waited.status, 429, waited.text.slice(0, 300));
    assert.match(waited.body.error.message, /queue_timeout_ms/);
    assert.equal((await long).body.status, 'succeeded');
    assert.equal((await t.as('client').post('/v1/skills/run').send({ skill: 'no-such-skill', input: {} })).status, 404);
  });
});
