// Creating and promoting skills over HTTP (SPEC §3): the control layer's four decisions, the roles
// that may promote, the run path's view of drafts, listing and detail, concurrency, audit.
import assert from 'node:assert/strict';
import { appendFile, readFile } from 'node:fs/promises';
import path from 'node:path';
import { assertNoContainersLeft } from '../helpers/docker.js';
import { startTestService, type TestService } from '../helpers/service.js';

const ADD_CODE = 'def run(inp):\n    return {"sum": inp["a"] + inp["b"]}\n';

function createBody(name: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name,
    version: '1.0.0',
    description: `adds two numbers (${name})`,
    runtime: 'python3',
    entrypoint: 'main.py',
    handler: 'run',
    input_schema: { type: 'object', properties: { a: { type: 'number' }, b: { type: 'number' } }, required: ['a', 'b'] },
    output_schema: { type: 'object', properties: { sum: { type: 'number' } }, required: ['sum'] },
    tags: ['math'],
    code: ADD_CODE,
    ...extra,
  };
}

describe('skill lifecycle: create and promote', function () {
  let t: TestService;
  before(async () => {
    t = await startTestService({ registry: { preinstall: ['word-count'] } });
  });
  after(async () => {
    await t.close();
    await assertNoContainersLeft(t.dataDir);
  });

  it('stores a draft (201) that does not run (409) until an admin promotes it', async () => {
    const created = await t.as('author').post('/v1/skills/create').send(createBody('adder'));
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body.skill.name, 'adder');
    assert.equal(created.body.skill.status, 'draft');
    assert.ok(['APPROVE', 'WARN'].includes(created.body.review.decision));
    await readFile(path.join(t.dataDir, 'skills', '_drafts', 'adder', '1.0.0', 'main.py'));

    const run = await t.as('client').post('/v1/skills/run').send({ skill: 'adder', input: { a: 1, b: 2 } });
    assert.equal(run.status, 409);
    assert.equal(run.body.error.code, 'conflict');

    const byAuthor = await t.as('author').post('/v1/skills/promote').send({ name: 'adder', version: '1.0.0' });
    assert.equal(byAuthor.status, 403);
    const promoted = await t.as('admin').post('/v1/skills/promote').send({ name: 'adder', version: '1.0.0' });
    assert.equal(promoted.status, 200, JSON.stringify(promoted.body));
    assert.equal(promoted.body.skill.status, 'active');
    await readFile(path.join(t.dataDir, 'skills', 'adder', '1.0.0', 'main.py'));
    const again = await t.as('admin').post('/v1/skills/promote').send({ name: 'adder', version: '1.0.0' });
    assert.equal(again.status, 409);
  });

  it('runs the promoted skill', async function () {
    if (!(await t.service.engine.imagePresent().catch(() => false))) {
      // The final suite has the image (npm test runs setup first); without it only this step waits.
      this.skip();
    }
    const run = await t.as('client').post('/v1/skills/run').send({ skill: 'adder', input: { a: 1, b: 2 } });
    assert.equal(run.status, 200, JSON.stringify(run.body));
    assert.equal(run.body.status, 'succeeded', JSON.stringify(run.body));
    assert.deepEqual(run.body.result, { sum: 3 });
  });

  it('refuses to promote a draft whose files changed on disk since their review (422, digest-mismatch)', async () => {
    const created = await t.as('author').post('/v1/skills/create').send(createBody('edited-draft'));
    assert.equal(created.status, 201, JSON.stringify(created.body));
    await appendFile(path.join(t.dataDir, 'skills', '_drafts', 'edited-draft', '1.0.0', 'main.py'), '\nprint("added later")\n');
    const promoted = await t.as('admin').post('/v1/skills/promote').send({ name: 'edited-draft', version: '1.0.0' });
    assert.equal(promoted.status, 422, JSON.stringify(promoted.body));
    assert.equal(promoted.body.error.code, 'blocked');
    assert.equal(promoted.body.error.details.review.findings[0].rule, 'digest-mismatch');
    assert.equal(t.service.store.find('edited-draft', '1.0.0')?.status, 'draft');
  });

  it('makes an admin\'s auto_promote active at once, and an author\'s a draft', async () => {
    const admin = await t.as('admin').post('/v1/skills/create').send(createBody('auto-admin', { auto_promote: true }));
    assert.equal(admin.status, 201, JSON.stringify(admin.body));
    assert.equal(admin.body.skill.status, 'active');
    const author = await t.as('author').post('/v1/skills/create').send(createBody('auto-author', { auto_promote: true }));
    assert.equal(author.status, 201);
    assert.equal(author.body.skill.status, 'draft');
  });

  it('answers 409 for a name and version that exist', async () => {
    const again = await t.as('author').post('/v1/skills/create').send(createBody('adder'));
    assert.equal(again.status, 409);
    assert.equal(again.body.error.code, 'conflict');
  });

  it('blocks code the control layer blocks (422, findings in details.review) and stores nothing', async () => {
    const blocked = await t.as('author').post('/v1/skills/create').send(createBody('evil', { code: 'def run(inp):\n    return eval(inp["x"])\n' }));
    assert.equal(blocked.status, 422, JSON.stringify(blocked.body));
    assert.equal(blocked.body.error.code, 'blocked');
    assert.equal(blocked.body.error.details.review.decision, 'BLOCK');
    assert.ok(blocked.body.error.details.review.findings.length > 0);
    assert.equal((await t.as('client').get('/v1/skills/evil')).status, 404);
  });

  it('keeps an escalated skill as pending_review (202), which promote refuses', async () => {
    const escalated = await t.as('author').post('/v1/skills/create').send(createBody('greedy', { limits: { memory_mb: 4096 } }));
    assert.equal(escalated.status, 202, JSON.stringify(escalated.body));
    assert.equal(escalated.body.skill.status, 'pending_review');
    assert.equal(escalated.body.review.decision, 'ESCALATE');
    const promote = await t.as('admin').post('/v1/skills/promote').send({ name: 'greedy', version: '1.0.0' });
    assert.equal(promote.status, 409);
    assert.match(promote.body.error.message, /review/);
  });

  it('refuses bodies that break the contract with 400 and the ajv errors', async () => {
    const unknown = await t.as('author').post('/v1/skills/create').send(createBody('odd', { surprise: 1 }));
    assert.equal(unknown.status, 400);
    assert.equal(unknown.body.error.code, 'validation_failed');
    assert.ok(unknown.body.error.details.errors.some((e: { message: string }) => /surprise/.test(e.message)));
    for (const bad of [{ name: '../x' }, { name: 'Upper' }, { version: '1.0' }, { code: 42 }, { files: { '../x.py': 'x = 1' } }, { runtime: 'node' }]) {
      const res = await t.as('author').post('/v1/skills/create').send(createBody('bad', bad));
      assert.equal(res.status, 400, `${JSON.stringify(bad)} -> ${res.status}`);
    }
    const shadow = await t.as('author').post('/v1/skills/create').send(createBody('shadow', { files: { 'json.py': 'x = 1\n' } }));
    assert.equal(shadow.status, 400);
    assert.equal(shadow.body.error.details.rule, 'shadows-module');
    const forbidden = await t.as('client').post('/v1/skills/create').send(createBody('client-made'));
    assert.equal(forbidden.status, 403);
  });

  it('lists every skill with its status, drafts and pending included, and shows one in detail', async () => {
    const list = await t.as('client').get('/v1/skills');
    assert.equal(list.status, 200);
    const statuses = Object.fromEntries(list.body.skills.map((s: { name: string; status: string }) => [s.name, s.status]));
    assert.deepEqual(
      { adder: statuses.adder, 'auto-author': statuses['auto-author'], greedy: statuses.greedy, 'word-count': statuses['word-count'] },
      { adder: 'active', 'auto-author': 'draft', greedy: 'pending_review', 'word-count': 'active' },
    );
    const detail = await t.as('client').get('/v1/skills/adder');
    assert.equal(detail.status, 200);
    assert.equal(detail.body.name, 'adder');
    assert.equal(detail.body.versions[0].version, '1.0.0');
    assert.equal(detail.body.versions[0].handler, 'run');
    assert.deepEqual(detail.body.versions[0].input_schema.required, ['a', 'b']);
    assert.equal((await t.as('client').get('/v1/skills/nothing-here')).status, 404);
    assert.equal((await t.as('client').get('/v1/skills/..%2Fetc')).status, 404);
  });

  it('lands 30 concurrent creates, every one in installed.json', async () => {
    const names = Array.from({ length: 30 }, (_, i) => `crowd-${i}`);
    const answers = await Promise.all(names.map((name) => t.as('author').post('/v1/skills/create').send(createBody(name))));
    assert.deepEqual(answers.map((a) => a.status), names.map(() => 201));
    const installed = JSON.parse(await readFile(path.join(t.dataDir, 'skills', 'installed.json'), 'utf8')) as { skills: Array<{ name: string }> };
    const stored = new Set(installed.skills.map((s) => s.name));
    assert.deepEqual(names.filter((n) => !stored.has(n)), []);
  });

  it('audits create and promote, refusals included', async () => {
    const creates = await t.service.audit.query({ event: 'create', skill: 'adder' });
    assert.deepEqual(creates.map((e) => e.outcome).sort(), ['conflict', 'draft']);
    const promotes = await t.service.audit.query({ event: 'promote', skill: 'adder' });
    assert.deepEqual(promotes.map((e) => e.outcome).sort(), ['active', 'conflict']);
    assert.equal(promotes.find((e) => e.outcome === 'active')?.actor, 'admin-key');
    const blocked = await t.service.audit.query({ event: 'create', skill: 'evil' });
    assert.equal(blocked[0]?.outcome, 'blocked');
    assert.equal(blocked[0]?.decision, 'BLOCK');
  });
});
