// No run outlives its caller: a client that disconnects, or a streaming reader that stops reading,
// cancels its run (the container is killed and removed, the slot freed, the run audited as
// `cancelled`, the request in the access log); a warm container that is dead at hand-over gives
// way to a cold one; a run racing an uninstall answers 404, never a 500.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { createControlLayer } from '../../server/src/control/index.js';
import { SANDBOX_LABELS } from '../../server/src/engine/index.js';
import type { SkillSource } from '../../server/src/skill.js';
import { assertNoContainersLeft, containersOf } from '../helpers/docker.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { memoryLogger } from '../http/support.js';
import { poolFilled } from '../pool/helpers.js';

const execFileAsync = promisify(execFile);

async function addActive(t: TestService, name: string, code: string, limits = {}): Promise<void> {
  const source: SkillSource = {
    manifest: { name, version: '1.0.0', description: `test skill ${name}`, runtime: 'python3', entrypoint: 'main.py', handler: 'run', limits },
    files: { 'main.py': code },
  };
  const control = await createControlLayer();
  const review = await control.review(source, t.service.policy.controlPolicy());
  await t.service.store.add(source, { status: 'active', origin: 'create', digest: control.digest(source.files), review });
}

/** Polls until `check` holds; returns how long that took, or throws after `limitMs` (a hang guard, not a speed claim). */
async function until(check: () => Promise<boolean>, limitMs: number, what: string): Promise<number> {
  const started = performance.now();
  while (!(await check())) {
    if (performance.now() - started > limitMs) throw new Error(`${what}: not within ${limitMs} ms`);
    await sleep(25);
  }
  return performance.now() - started;
}

async function running(dataDir: string): Promise<string[]> {
  const { stdout } = await execFileAsync('docker', ['ps', '--quiet', '--filter', `label=${SANDBOX_LABELS.dataDir}=${dataDir}`, '--filter', 'status=running']);
  return stdout.split('\n').filter((line) => line !== '');
}

/** `docker pause`, asked again when the kernel's freezer gives up on a busy host ("unable to freeze"). */
async function pauseContainer(id: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await execFileAsync('docker', ['pause', id]);
      return;
    } catch (error) {
      if (attempt === 5 || !String(error).includes('unable to freeze')) throw error;
      await sleep(500);
    }
  }
}

describe('runs end with their caller', function () {
  this.timeout(180_000);
  let t: TestService;
  let lines: string[];
  let port: number;
  let server: http.Server;

  before(async () => {
    const memory = memoryLogger('info');
    lines = memory.lines;
    t = await startTestService({ server: { port: 0 }, sandbox: { pool: { size: 0 } }, limits: { max: { timeout_ms: 120000, memory_mb: 1024, cpus: 2, pids: 256, output_bytes: 64 * 1024 * 1024 } } }, memory.logger);
    server = await t.service.listen();
    port = (server.address() as AddressInfo).port;
    await addActive(t, 'sleeper', 'import time\n\n\ndef run(inp):\n    time.sleep(20)\n    return {"slept": True}\n', { timeout_ms: 30000 });
    await addActive(t, 'talker', 'def run(inp):\n    for i in range(400000):\n        print("x" * 100)\n    return {"done": True}\n', { timeout_ms: 60000 });
  });
  after(async () => {
    await t?.close();
    await assertNoContainersLeft(t.dataDir);
  });

  /** Posts a run and gives back the request, its answer's headers (once they come) and its request id. */
  function post(body: object, accept = 'application/json'): { request: http.ClientRequest; response: Promise<http.IncomingMessage> } {
    const payload = JSON.stringify(body);
    const request = http.request({
      host: '127.0.0.1', port, method: 'POST', path: '/v1/skills/run', agent: false,
      headers: { Authorization: `Bearer ${t.keys.client}`, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload), Accept: accept },
    });
    const response = new Promise<http.IncomingMessage>((resolve, reject) => {
      request.once('response', resolve);
      request.once('error', reject);
    });
    request.end(payload);
    return { request, response };
  }

  it('kills the container of a client that disconnects, frees its slot, audits it as cancelled and logs the request', async () => {
    const { request, response } = post({ skill: 'sleeper', input: {} });
    response.catch(() => undefined);
    await until(async () => (await running(t.dataDir)).length === 1, 30_000, 'the run\'s container started');
    request.destroy();
    // The skill sleeps 20 s: gone this early, it was killed, not finished.
    await until(async () => (await containersOf(t.dataDir)).length === 0, 1_000, 'the container is gone after the disconnect');
    await until(async () => (await t.service.audit.query({ event: 'run', skill: 'sleeper' })).length === 1, 10_000, 'the run is audited');
    const [event] = await t.service.audit.query({ event: 'run', skill: 'sleeper' });
    assert.equal(event?.outcome, 'cancelled');
    const logged = lines.map((line) => JSON.parse(line) as Record<string, unknown>).find((line) => line.message === 'request' && line.request_id === event?.request_id);
    assert.ok(logged, 'the request is in the access log');
    assert.equal(logged.client_gone, true);
    const res = await t.as('client').post('/v1/skills/run').send({ skill: 'word-count', input: { text: 'the slot is free' } });
    assert.equal(res.status, 200, res.text.slice(0, 300));
  });

  it('cuts off a streaming reader that stops reading, and cancels its run', async () => {
    const { response } = post({ skill: 'talker', input: {}, limits: { output_bytes: 64 * 1024 * 1024 } }, 'application/x-ndjson');
    const res = await response;
    assert.equal(res.statusCode, 200);
    res.pause(); // reads nothing more: the server's buffer for it fills
    const closed = new Promise<void>((resolve) => res.once('close', resolve));
    res.once('error', () => undefined);
    await until(async () => (await t.service.audit.query({ event: 'run', skill: 'talker' })).length === 1, 120_000, 'the run ends');
    const [event] = await t.service.audit.query({ event: 'run', skill: 'talker' });
    assert.equal(event?.outcome, 'cancelled');
    res.resume();
    await closed;
    await until(async () => (await containersOf(t.dataDir)).length === 0, 10_000, 'the container is gone');
  });

  it('answers 404, never a 500, to runs racing the uninstall of their skill', async () => {
    const statuses = new Set<number>();
    for (let i = 0; i < 8; i += 1) {
      await addActive(t, 'short-lived', 'def run(inp):\n    return {"ok": True}\n');
      const [run] = await Promise.all([
        t.as('client').post('/v1/skills/run').send({ skill: 'short-lived', input: {} }),
        t.as('admin').post('/v1/skills/uninstall').send({ name: 'short-lived' }).expect(200),
      ]);
      statuses.add(run.status);
      assert.ok(run.status === 200 || run.status === 404, `${run.status}: ${run.text.slice(0, 300)}`);
      if (run.status === 404) assert.equal(run.body.error.code, 'not_found');
    }
    const refused = await t.service.audit.query({ event: 'run', skill: 'short-lived', limit: 100 });
    assert.equal(refused.length, 8, 'every run is audited, answered or refused');
  });
});

describe('a warm container dead at hand-over', function () {
  this.timeout(120_000);
  let t: TestService;
  before(async () => {
    t = await startTestService({ sandbox: { pool: { size: 1 } } });
  });
  after(async () => {
    await t?.close();
    await assertNoContainersLeft(t.dataDir);
  });

  it('gives way to a cold start, once, and the run succeeds', async () => {
    await t.as('client').post('/v1/skills/run').send({ skill: 'word-count', input: { text: 'fill the pool' } }).expect(200);
    const [warm] = await poolFilled(t.dataDir, 1);
    assert.ok(warm, 'a warm container waits');
    // Frozen, it neither ends its streams nor answers: only the check at hand-over can tell.
    await pauseContainer(warm);
    const res = await t.as('client').post('/v1/skills/run').send({ skill: 'word-count', input: { text: 'one two three' } });
    assert.equal(res.status, 200, res.text.slice(0, 300));
    assert.equal(res.body.status, 'succeeded');
    assert.deepEqual(res.body.result, { words: 3 });
    await until(async () => !(await containersOf(t.dataDir)).some((id) => warm.startsWith(id) || id.startsWith(warm)), 10_000, 'the paused container is removed');
  });
});
