// GET /metrics in the Prometheus text format: runs by status and their duration, HTTP answers by route
// template and status, the queue. Neither the metrics nor the service log ever hold a key or an input.
import assert from 'node:assert/strict';
import supertest from 'supertest';
import { startTestService, type TestService } from '../helpers/service.js';
import { memoryLogger } from './support.js';

const SECRET_INPUT = 'confidential-input-7f3a9';

function sample(text: string, name: string, labels: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`) || (labels === '' && l.startsWith(`${name} `)));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('GET /metrics', () => {
  const { logger, lines } = memoryLogger('debug');
  let t: TestService;
  let text: string;

  before(async () => {
    t = await startTestService({}, logger);
    await t.as('client').post('/v1/skills/run').send({ skill: 'word-count', input: { text: `${SECRET_INPUT} two` } }).expect(200);
    await t.as('client').post('/v1/skills/run').send({ skill: 'word-count', input: { text: SECRET_INPUT } }).expect(200);
    await t.as('client').get('/v1/no-such-route').expect(404);
    await t.as('client').post('/v1/skills/run').send({ skill: 'word-count' }).expect(400);
    await supertest(t.service.app).get('/v1/skills').set('Authorization', 'Bearer not-a-real-key-123').expect(401);
    const res = await supertest(t.service.app).get('/metrics').expect(200);
    assert.match(res.headers['content-type'] ?? '', /^text\/plain/);
    text = res.text;
  });
  after(async () => {
    await t?.close();
  });

  it('counts runs by status, with a duration histogram', () => {
    assert.equal(sample(text, 'tool_executor_runs_total', 'status="succeeded"'), 2);
    assert.equal(sample(text, 'tool_executor_run_duration_seconds_count', 'status="succeeded"'), 2);
    assert.ok(text.includes('tool_executor_run_duration_seconds_bucket{le="0.1",status="succeeded"}'));
  });

  it('counts HTTP answers by method, route template and status, never by raw path', () => {
    assert.equal(sample(text, 'tool_executor_http_requests_total', 'method="POST",route="/v1/skills/run",status="200"'), 2);
    assert.equal(sample(text, 'tool_executor_http_requests_total', 'method="GET",route="unmatched",status="404"'), 1);
    assert.equal(sample(text, 'tool_executor_http_requests_total', 'method="GET",route="/v1/skills",status="401"'), 1);
    assert.ok(!text.includes('no-such-route'));
  });

  it('counts audited actions, the refusal among them', () => {
    assert.equal(sample(text, 'tool_executor_audit_events_total', 'event="auth.refused",outcome="unauthorized"'), 1);
    assert.equal(sample(text, 'tool_executor_audit_events_total', 'event="request.refused",outcome="validation_failed"'), 1);
    assert.equal(sample(text, 'tool_executor_audit_events_total', 'event="run",outcome="succeeded"'), 2);
  });

  it('shows the queue and the runs in progress', () => {
    assert.equal(sample(text, 'tool_executor_queue_depth', ''), 0);
    assert.equal(sample(text, 'tool_executor_runs_in_progress', ''), 0);
  });

  it('shows the process\'s memory: heap, external, and the ArrayBuffers within external', () => {
    const heap = sample(text, 'tool_executor_nodejs_heap_size_used_bytes', '');
    const external = sample(text, 'tool_executor_nodejs_external_memory_bytes', '');
    const arrayBuffers = sample(text, 'tool_executor_nodejs_array_buffers_bytes', '');
    assert.ok(heap !== undefined && heap > 0, 'heap used');
    assert.ok(external !== undefined && arrayBuffers !== undefined, 'external and ArrayBuffers');
    assert.ok(arrayBuffers > 0 && arrayBuffers <= external, `ArrayBuffers ${arrayBuffers} are part of external ${external}`);
  });

  it('holds no key and no input, and neither does the service log', () => {
    const log = lines.join('');
    assert.ok(log.includes('"route":"/v1/skills/run"'), 'the log has the requests');
    for (const secret of [...Object.values(t.keys), 'not-a-real-key-123', SECRET_INPUT]) {
      assert.ok(!text.includes(secret), `metrics hold ${secret}`);
      assert.ok(!log.includes(secret), `the log holds ${secret}`);
    }
  });
});
