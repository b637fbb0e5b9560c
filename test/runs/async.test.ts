// Asynchronous runs end to end: POST /v1/runs answers 202 and GET /v1/runs/{id} follows the run to
// the same body a synchronous run gives; the checks of a run answer at once; a callback is signed,
// retried and delivered once; runs survive a restart; and a run in flight when main.js is killed
// with SIGKILL is failed after the restart, with no container left.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createService } from '../../server/src/app.js';
import { sha256Hex } from '../../server/src/auth/index.js';
import { freePort } from '../../scripts/lib/free-port.js';
import { assertNoContainersLeft, containersOf } from '../helpers/docker.js';
import { call, startMain, type Running } from '../helpers/main-process.js';
import { contracts, quietLogger, startTestService, type TestService } from '../helpers/service.js';
import { AUDIT_FIELDS, oneLineOfRequest } from '../audit/helpers.js';

const SLEEPER = 'import time\n\ndef run(inp):\n    time.sleep(inp["seconds"])\n    return {"slept": inp["seconds"]}\n';

interface RunBody { run_id: string; status: string; result?: unknown; error?: { type: string; message: string } | null }

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('asynchronous runs (POST /v1/runs, GET /v1/runs/{id})', function () {
  this.timeout(120_000);
  let t: TestService;

  const finished = (id: string) => until(`run ${id} to end`, async () => {
    const res = await t.as('client').get(`/v1/runs/${id}`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return ['queued', 'running'].includes((res.body as RunBody).status) ? undefined : res.body as RunBody;
  });

  before(async () => {
    t = await startTestService({ control: { allow_imports: ['json', 'time'] } });
  });
  after(async () => {
    await t.close();
    await assertNoContainersLeft(t.dataDir);
  });

  it('answers 202 queued, then the same body a synchronous run gives', async () => {
    const accepted = await t.as('client').post('/v1/runs').send({ skill: 'word-count', input: { text: 'one two three' } });
    assert.equal(accepted.status, 202, JSON.stringify(accepted.body));
    assert.equal(accepted.body.status, 'queued');
    assert.equal(accepted.headers.location, `/v1/runs/${accepted.body.run_id}`);
    const done = await finished(accepted.body.run_id);
    const sync = await t.as('client').post('/v1/skills/run').send({ skill: 'word-count', input: { text: 'one two three' } });
    assert.deepEqual(Object.keys(done).sort(), Object.keys(sync.body).sort());
    assert.equal(done.run_id, accepted.body.run_id);
    assert.equal(done.status, 'succeeded');
    assert.deepEqual(done.result, { words: 3 });
    // The submitting request's one line: the run's, written when it ended.
    const line = await oneLineOfRequest(t.service.audit, accepted.headers['x-request-id']!);
    assert.deepEqual([line.event, line.actor, line.skill, line.outcome, line.details?.run_id], ['run', 'client-key', 'word-count', 'succeeded', done.run_id]);
  });

  it('answers the checks of a run at once, records no run for them, and audits each as one line with its code', async () => {
    const recordedBefore = await readdir(path.join(t.dataDir, 'runs'));
    const unknown = await t.as('client').post('/v1/runs').send({ skill: 'no-such-skill', input: {} });
    assert.equal(unknown.status, 404);
    const badInput = await t.as('client').post('/v1/runs').send({ skill: 'word-count', input: { txt: 'x' } });
    assert.equal(badInput.status, 400);
    const byIntent = await t.as('client').post('/v1/runs').send({ intent: 'count words', input: {} });
    assert.equal(byIntent.status, 400);
    const loopback = await t.as('client').post('/v1/runs').send({ skill: 'word-count', input: { text: 'x' }, callback_url: 'http://127.0.0.1:9/hook' });
    assert.equal(loopback.status, 400);
    assert.match(loopback.body.error.message, /internal address runs\.callback_allow_cidrs does not open/);
    const metadata = await t.as('client').post('/v1/runs').send({ skill: 'word-count', input: { text: 'x' }, callback_url: 'http://169.254.169.254/latest' });
    assert.equal(metadata.status, 400);
    assert.deepEqual(await readdir(path.join(t.dataDir, 'runs')), recordedBefore);
    // The run's own checks are run events; a body that breaks async_run.json (no skill) is the router's refusal.
    const expected = [[unknown, 'run', 'not_found'], [badInput, 'run', 'validation_failed'], [byIntent, 'request.refused', 'validation_failed'],
      [loopback, 'run', 'validation_failed'], [metadata, 'run', 'validation_failed']] as const;
    for (const [res, event, outcome] of expected) {
      const line = await oneLineOfRequest(t.service.audit, res.headers['x-request-id']!);
      assert.deepEqual([line.event, line.actor, line.outcome], [event, 'client-key', outcome]);
    }
  });

  it("shows a run to its own key and to admins only", async () => {
    const accepted = await t.as('client').post('/v1/runs').send({ skill: 'word-count', input: { text: 'mine' } });
    await finished(accepted.body.run_id);
    assert.equal((await t.as('author').get(`/v1/runs/${accepted.body.run_id}`)).status, 404);
    assert.equal((await t.as('admin').get(`/v1/runs/${accepted.body.run_id}`)).status, 200);
    assert.equal((await t.as('client').get('/v1/runs/not-a-run-id')).status, 404);
  });

  it('shows queued or running while the run goes', async () => {
    const created = await t.as('admin').post('/v1/skills/create').send({
      name: 'sleeper', version: '1.0.0', description: 'sleeps', runtime: 'python3', entrypoint: 'main.py', handler: 'run', code: SLEEPER, auto_promote: true,
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const accepted = await t.as('client').post('/v1/runs').send({ skill: 'sleeper', input: { seconds: 1 } });
    const early = await t.as('client').get(`/v1/runs/${accepted.body.run_id}`);
    assert.ok(['queued', 'running'].includes(early.body.status), JSON.stringify(early.body));
    assert.deepEqual(early.body.skill, { name: 'sleeper', version: '1.0.0' });
    assert.deepEqual((await finished(accepted.body.run_id)).result, { slept: 1 });
  });

  it('keeps finished runs across a restart', async () => {
    const accepted = await t.as('client').post('/v1/runs').send({ skill: 'word-count', input: { text: 'kept' } });
    const before = await finished(accepted.body.run_id);
    await t.service.close();
    t.service = await createService(t.service.config, { contracts, logger: quietLogger });
    const after = await t.as('client').get(`/v1/runs/${accepted.body.run_id}`);
    assert.deepEqual(after.body, before);
  });
});

describe('asynchronous run callbacks', function () {
  this.timeout(120_000);
  let t: TestService;
  let hook: http.Server;
  const deliveries: Array<{ headers: http.IncomingHttpHeaders; body: string; answered: number }> = [];
  let failFirst = 0;

  before(async () => {
    hook = http.createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      req.on('end', () => {
        const answered = failFirst > 0 ? 500 : 204;
        failFirst -= 1;
        deliveries.push({ headers: req.headers, body, answered });
        res.writeHead(answered).end();
      });
    });
    await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
    t = await startTestService({ runs: { callback_allow_cidrs: ['127.0.0.0/8'], callback_backoff_ms: 50, callback_attempts: 3 } });
  });
  after(async () => {
    await t.close();
    await new Promise<void>((resolve) => hook.close(() => resolve()));
    await assertNoContainersLeft(t.dataDir);
  });

  it('POSTs the result once, signed with the run secret, after retrying a failed attempt', async () => {
    failFirst = 1;
    const { port } = hook.address() as AddressInfo;
    const accepted = await t.as('client').post('/v1/runs').send({ skill: 'word-count', input: { text: 'a b' }, callback_url: `http://127.0.0.1:${port}/hook` });
    assert.equal(accepted.status, 202, JSON.stringify(accepted.body));
    const secret = accepted.body.callback_secret as string;
    assert.match(secret, /^[0-9a-f]{64}$/);
    const delivered = await until('the callback', async () => (deliveries.some((d) => d.answered === 204) ? true : undefined));
    assert.ok(delivered);
    assert.deepEqual(deliveries.map((d) => d.answered), [500, 204]);
    const last = deliveries[1]!;
    const expected = createHmac('sha256', secret).update(`${String(last.headers['x-tool-executor-timestamp'])}.${last.body}`).digest('hex');
    assert.equal(last.headers['x-tool-executor-signature'], `sha256=${expected}`);
    assert.equal(last.headers['x-tool-executor-run-id'], accepted.body.run_id);
    const state = await t.as('client').get(`/v1/runs/${accepted.body.run_id}`);
    assert.deepEqual(JSON.parse(last.body), state.body);
    assert.deepEqual(state.body.result, { words: 2 });
    // Delivered: no further attempt comes.
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(deliveries.length, 2);
  });
});

describe('main.js killed with SIGKILL during an asynchronous run', function () {
  this.timeout(180_000);
  let dir: string;
  let running: Running | undefined;

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'te-async-crash-'));
  });
  after(async () => {
    if (running && running.child.exitCode === null && running.child.signalCode === null) {
      running.child.kill('SIGTERM');
      await running.exited;
    }
    await assertNoContainersLeft(path.join(dir, 'data'));
    await rm(dir, { recursive: true, force: true });
  });

  it('records the run failed after the restart, with a clear error, and leaves no container', async () => {
    const port = await freePort();
    const key = 'async-crash-admin-key';
    const configFile = path.join(dir, 'config.yaml');
    // No warm pool: every container of this data_dir belongs to a run.
    await writeFile(configFile, [
      `server: {host: 127.0.0.1, port: ${port}}`, 'data_dir: ./data', `auth: {keys: [{id: ops, role: admin, sha256: "${sha256Hex(key)}"}]}`,
      'sandbox: {pool: {size: 0}}', 'control: {allow_imports: [json, time]}',
    ].join('\n') + '\n');
    const dataDir = path.join(dir, 'data');

    running = await startMain(configFile);
    const created = await call(port, 'POST', '/v1/skills/create', key, {
      name: 'sleeper', version: '1.0.0', description: 'sleeps', runtime: 'python3', entrypoint: 'main.py', handler: 'run', code: SLEEPER, auto_promote: true,
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const accepted = await call(port, 'POST', '/v1/runs', key, { skill: 'sleeper', input: { seconds: 20 } });
    assert.equal(accepted.status, 202, JSON.stringify(accepted.body));
    const runId = (accepted.body as RunBody).run_id;
    await until('the run to be running in its container', async () => {
      const state = await call(port, 'GET', `/v1/runs/${runId}`, key);
      return (state.body as RunBody).status === 'running' && (await containersOf(dataDir)).length > 0 ? true : undefined;
    });

    running.child.kill('SIGKILL');
    await running.exited;
    // The orphan watchdog beside main.js removes the killed run's container (docs/reliability.md).
    await until('the killed run\'s container to be removed', async () => ((await containersOf(dataDir)).length === 0 ? true : undefined), 10_000);

    running = await startMain(configFile);
    const after = await call(port, 'GET', `/v1/runs/${runId}`, key);
    assert.equal(after.status, 200);
    const body = after.body as RunBody;
    assert.equal(body.status, 'failed');
    assert.equal(body.error?.type, 'ServiceRestarted');
    assert.match(body.error?.message ?? '', /the service stopped \(a crash or a restart\) while this run was running; it did not finish/);
    assert.deepEqual(await containersOf(dataDir), []);
    const audit = await call(port, 'GET', '/v1/audit?event=run', key);
    const lines = (audit.body as { events: Array<{ actor: string; outcome: string; details: { run_id?: string; error?: string } }> }).events.filter((e) => e.details.run_id === runId);
    assert.equal(lines.length, 1, JSON.stringify(lines));
    assert.deepEqual(Object.keys(lines[0]!).sort(), AUDIT_FIELDS);
    assert.deepEqual([lines[0]!.actor, lines[0]!.outcome, lines[0]!.details.error], ['ops', 'failed', 'ServiceRestarted']);
  });
});
