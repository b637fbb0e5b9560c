// `node dist/server/src/main.js` as an operator runs it, killed with SIGKILL right after it
// acknowledged N runs: the N run events are on disk. On the way it proves the first-start key: made
// and printed once with no keys configured, not printed again, still valid after the restart.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createAuditLog, verifyAudit } from '../../server/src/audit/index.js';
import { freePort } from '../../scripts/lib/free-port.js';
import { call, startMain, type Running } from '../helpers/main-process.js';

describe('main.js killed with SIGKILL right after N acknowledged runs', function () {
  this.timeout(180_000);
  const RUNS = 5;
  let dir: string;
  let running: Running | undefined;

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'te-crash-'));
  });
  after(async () => {
    if (running && running.child.exitCode === null && running.child.signalCode === null) {
      running.child.kill('SIGKILL');
      await running.exited;
    }
    await rm(dir, { recursive: true, force: true });
  });

  it('has the N run events on disk, and a restart keeps the first-start key without printing it', async () => {
    const port = await freePort();
    const configFile = path.join(dir, 'config.yaml');
    // No auth.keys: the first start makes the admin key.
    await writeFile(configFile, `server: {host: 127.0.0.1, port: ${port}}\ndata_dir: ./data\n`);
    const dataDir = path.join(dir, 'data');

    running = await startMain(configFile);
    const key = /^\s+(te_[A-Za-z0-9_-]+)\s*$/m.exec(running.stdout())?.[1];
    assert.ok(key, `the first start printed a key: ${running.stdout()}`);

    const answers = await Promise.all(Array.from({ length: RUNS }, (_, i) =>
      call(port, 'POST', '/v1/skills/run', key, { skill: 'word-count', input: { text: `run ${i} of the crash test` } })));
    running.child.kill('SIGKILL');
    await running.exited;
    assert.deepEqual(answers.map((a) => [a.status, (a.body as { status: string }).status]), answers.map(() => [200, 'succeeded']));

    const audit = await createAuditLog({ dataDir, rotateBytes: 64 * 1024 * 1024 });
    let runs;
    try {
      runs = await audit.query({ event: 'run', limit: 1000 });
    } finally {
      await audit.close();
    }
    assert.equal(runs.length, RUNS);
    assert.deepEqual(runs.map((e) => e.request_id).sort(), answers.map((a) => a.requestId).sort());
    assert.equal((await verifyAudit(dataDir)).ok, true);

    running = await startMain(configFile);
    assert.doesNotMatch(running.stdout(), /te_/, 'the key is shown on the first start only');
    const listed = await call(port, 'GET', '/v1/audit?event=run', key);
    assert.equal(listed.status, 200);
    assert.equal((listed.body as { events: unknown[] }).events.length, RUNS);
    running.child.kill('SIGTERM');
    await running.exited;
    assert.equal(running.child.exitCode, 0, 'SIGTERM stops the service cleanly');
  });
});
