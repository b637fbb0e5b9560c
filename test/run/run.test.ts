// POST /v1/skills/run end to end: the bundled word-count on a fresh data_dir, the errors a client can
// provoke, streaming, and the control layer's second look before every run.
import assert from 'node:assert/strict';
import { appendFile } from 'node:fs/promises';
import path from 'node:path';
import { DEFAULT_ALLOW_IMPORTS } from '../../server/src/config/index.js';
import { createControlLayer } from '../../server/src/control/index.js';
import type { SkillSource } from '../../server/src/skill.js';
import type { SkillStatus } from '../../server/src/store/types.js';
import { assertNoContainersLeft } from '../helpers/docker.js';
import { startTestService, type TestService } from '../helpers/service.js';

async function addSkill(t: TestService, source: SkillSource, status: SkillStatus): Promise<void> {
  const control = await createControlLayer();
  const review = await control.review(source, t.service.policy.controlPolicy());
  await t.service.store.add(source, { status, origin: 'create', digest: control.digest(source.files), review });
}

function skill(name: string, code: string, extra: Partial<SkillSource['manifest']> = {}): SkillSource {
  return {
    manifest: { name, version: '1.0.0', description: `test skill ${name}`, runtime: 'python3', entrypoint: 'main.py', handler: 'run', ...extra },
    files: { 'main.py': code },
  };
}

describe('POST /v1/skills/run', function () {
  let t: TestService;

  before(async function () {
    // The admin lets skills import sys, so a skill can write to stderr.
    t = await startTestService({ control: { allow_imports: [...DEFAULT_ALLOW_IMPORTS, 'sys'] } });
  });

  after(async function () {
    await t.close();
    await assertNoContainersLeft(t.dataDir);
  });

  it('runs the bundled word-count on a fresh data_dir', async function () {
    const res = await t.as('client').post('/v1/skills/run').send({ skill: 'word-count', input: { text: 'one two three' } });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.match(res.headers['x-request-id'] ?? '', /^[0-9a-f-]{36}$/);
    assert.equal(res.body.status, 'succeeded');
    assert.deepEqual(res.body.result, { words: 3 });
    assert.equal(res.body.error, null);
    assert.equal(res.body.exit_code, 0);
    assert.deepEqual(res.body.skill, { name: 'word-count', version: '1.0.0' });
    assert.equal(res.body.review.decision, 'APPROVE');
    assert.match(res.body.run_id, /^[0-9a-f-]{36}$/);
    // The manifest asks for less than the defaults; pids and output_bytes fall back to them.
    assert.deepEqual(res.body.limits, { timeout_ms: 5000, memory_mb: 128, cpus: 0.5, pids: 64, output_bytes: 1048576 });
    assert.equal(typeof res.body.duration_ms, 'number');
  });

  it('refuses input that breaks the input_schema with 400 and the schema errors', async function () {
    const res = await t.as('client').post('/v1/skills/run').send({ skill: 'word-count', input: { txt: 'x' } });
    assert.equal(res.status, 400);
    assert.equal(res.body.error.code, 'validation_failed');
    assert.ok(Array.isArray(res.body.error.details.errors) && res.body.error.details.errors.length > 0);
    assert.equal(res.body.error.request_id, res.headers['x-request-id']);
  });

  it('answers 404 for an unknown skill and 400 for limits above the admin maximum', async function () {
    const unknown = await t.as('client').post('/v1/skills/run').send({ skill: 'no-such-skill', input: {} });
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.error.code, 'not_found');
    const greedy = await t.as('client').post('/v1/skills/run').send({ skill: 'word-count', input: { text: 'a' }, limits: { memory_mb: 4096 } });
    assert.equal(greedy.status, 400);
    assert.equal(greedy.body.error.code, 'validation_failed');
    assert.match(greedy.body.error.message, /memory_mb/);
  });

  it('runs with lower limits when the request asks for them', async function () {
    const res = await t.as('client').post('/v1/skills/run').send({ skill: 'word-count', input: { text: 'a b' }, limits: { timeout_ms: 3000, pids: 32 } });
    assert.equal(res.status, 200);
    assert.equal(res.body.limits.timeout_ms, 3000);
    assert.equal(res.body.limits.pids, 32);
  });

  it('answers 409 for a draft and for a skill pending review', async function () {
    await addSkill(t, skill('draft-skill', 'def run(inp):\n    return 1\n'), 'draft');
    await addSkill(t, skill('pending-skill', 'def run(inp):\n    return 1\n'), 'pending_review');
    for (const name of ['draft-skill', 'pending-skill']) {
      const res = await t.as('client').post('/v1/skills/run').send({ skill: name, input: {} });
      assert.equal(res.status, 409, name);
      assert.equal(res.body.error.code, 'conflict');
    }
  });

  it('streams log lines as NDJSON, then the result', async function () {
    await addSkill(t, skill('chatty', 'import sys\n\ndef run(inp):\n    print("first")\n    print("second", file=sys.stderr)\n    return {"ok": True}\n', {}), 'active');
    const res = await t.as('client').post('/v1/skills/run').set('Accept', 'application/x-ndjson').send({ skill: 'chatty', input: {} }).buffer(true).parse((r, done) => {
      let text = '';
      r.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
      r.on('end', () => done(null, text));
    });
    assert.equal(res.status, 200);
    assert.match(res.headers['content-type'] ?? '', /application\/x-ndjson/);
    const lines = (res.body as string).trim().split('\n').map((line) => JSON.parse(line) as { type: string; stream?: string; data?: string; result?: unknown });
    const last = lines.at(-1)!;
    assert.equal(last.type, 'result');
    assert.deepEqual(last.result, { ok: true });
    const logs = lines.filter((l) => l.type === 'log');
    assert.ok(logs.some((l) => l.stream === 'stdout' && l.data!.includes('first')), JSON.stringify(lines));
    assert.ok(logs.some((l) => l.stream === 'stderr' && l.data!.includes('second')), JSON.stringify(lines));
  });

  it('keeps what a skill prints out of its result', async function () {
    const res = await t.as('client').post('/v1/skills/run').send({ skill: 'chatty', input: {} });
    assert.equal(res.body.status, 'succeeded');
    assert.deepEqual(res.body.result, { ok: true });
    assert.match(res.body.logs, /first/);
    assert.match(res.body.logs, /second/);
  });

  it('takes what a skill logs through logging as its log (logging is on the default allowlist)', async function () {
    const code = 'import logging\n\nlog = logging.getLogger("tally")\n\ndef run(inp):\n    log.warning("counting %d items", len(inp["items"]))\n    return {"n": len(inp["items"])}\n';
    await addSkill(t, skill('tally', code), 'active');
    const res = await t.as('client').post('/v1/skills/run').send({ skill: 'tally', input: { items: [1, 2, 3] } });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.status, 'succeeded', JSON.stringify(res.body));
    assert.deepEqual(res.body.result, { n: 3 });
    assert.match(res.body.logs, /counting 3 items/);
  });

  it('creates an unbounded while True as WARN, runs it with the warning shown, and kills it at its time limit', async function () {
    const created = await t.as('admin').post('/v1/skills/create').send({
      name: 'spinner', version: '1.0.0', description: 'never stops', runtime: 'python3', entrypoint: 'main.py', handler: 'run',
      code: 'def run(inp):\n    n = 0\n    while True:\n        n += 1\n', auto_promote: true,
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body.review.decision, 'WARN');
    assert.equal(created.body.skill.status, 'active');
    const res = await t.as('client').post('/v1/skills/run').send({ skill: 'spinner', input: {}, limits: { timeout_ms: 1500 } });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.status, 'timeout');
    assert.equal(res.body.review.decision, 'WARN');
    assert.ok(res.body.review.findings.some((f: { severity: string }) => f.severity === 'warning'), JSON.stringify(res.body.review));
    assert.ok(res.body.duration_ms >= 1500 && res.body.duration_ms < 3500, `duration ${res.body.duration_ms} ms`);
  });

  it('fails a result that breaks the skill’s own output_schema', async function () {
    await addSkill(t, skill('liar', 'def run(inp):\n    return {"words": "many"}\n', { output_schema: { type: 'object', properties: { words: { type: 'integer' } } } }), 'active');
    const res = await t.as('client').post('/v1/skills/run').send({ skill: 'liar', input: {} });
    assert.equal(res.status, 200);
    assert.equal(res.body.status, 'failed');
    assert.equal(res.body.error.type, 'OutputSchemaViolation');
    assert.equal(res.body.result, null);
  });

  it('does not run a skill whose files changed on disk since their review', async function () {
    await addSkill(t, skill('tampered', 'def run(inp):\n    return 1\n'), 'active');
    await appendFile(path.join(t.dataDir, 'skills', 'tampered', '1.0.0', 'main.py'), '\nprint("added later")\n');
    const res = await t.as('client').post('/v1/skills/run').send({ skill: 'tampered', input: {} });
    assert.equal(res.status, 422);
    assert.equal(res.body.error.code, 'blocked');
    assert.equal(res.body.error.details.review.findings[0].rule, 'digest-mismatch');
  });

  it('records every run in the audit log', async function () {
    const res = await t.as('client').post('/v1/skills/run').send({ skill: 'word-count', input: { text: 'audit me' } });
    const events = await t.service.audit.query({ event: 'run', skill: 'word-count', limit: 1 });
    assert.equal(events[0]?.request_id, res.headers['x-request-id']);
    assert.equal(events[0]?.outcome, 'succeeded');
    assert.equal(events[0]?.actor, 'client-key');
  });
});
