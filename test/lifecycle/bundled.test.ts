// A fresh data_dir starts with every bundled skill active (SPEC §8), and each of them runs with the
// example of its README.
import assert from 'node:assert/strict';
import { assertNoContainersLeft } from '../helpers/docker.js';
import { startTestService, type TestService } from '../helpers/service.js';

const EXAMPLES: Array<{ skill: string; input: unknown; result: unknown }> = [
  { skill: 'word-count', input: { text: 'three little words' }, result: { words: 3 } },
  { skill: 'json-reshape', input: { data: { user: { name: 'Ada' }, tags: ['a', 'b'] }, fields: { who: 'user.name', second: 'tags.1', nope: 'x.y' } }, result: { result: { who: 'Ada', second: 'b' }, missing: ['x.y'] } },
  { skill: 'date-diff', input: { start: '2024-01-01', end: '2024-03-01' }, result: { days: 60, weeks: 8, start_weekday: 'Monday', end_weekday: 'Friday' } },
];

describe('bundled skills on a fresh data_dir', function () {
  let t: TestService;
  before(async () => {
    t = await startTestService();
  });
  after(async () => {
    await t.close();
    await assertNoContainersLeft(t.dataDir);
  });

  it('are all installed, active, of origin bundled', async () => {
    const list = await t.as('client').get('/v1/skills');
    const bundled = list.body.skills.filter((s: { origin: string }) => s.origin === 'bundled');
    assert.deepEqual(bundled.map((s: { name: string; status: string }) => `${s.name}:${s.status}`).sort(), EXAMPLES.map((e) => `${e.skill}:active`).sort());
  });

  for (const example of EXAMPLES) {
    it(`runs ${example.skill} with its README example`, async function () {
      if (!(await t.service.engine.imagePresent().catch(() => false))) this.skip();
      const res = await t.as('client').post('/v1/skills/run').send({ skill: example.skill, input: example.input });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.status, 'succeeded', JSON.stringify(res.body));
      assert.deepEqual(res.body.result, example.result);
    });
  }
});
