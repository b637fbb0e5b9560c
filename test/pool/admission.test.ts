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
});
