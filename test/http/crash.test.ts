// `node dist/server/src/main.js` as an operator runs it, killed with SIGKILL right after it
// acknowledged N runs: the N run events are on disk. On the way it proves the first-start key: made
// and printed once with no keys configured, not printed again, still valid after the restart.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createAuditLog, verifyAudit } from '../../server/src/audit/index.js';
import { PROJECT_ROOT } from '../../server/src/paths.js';
import { freePort } from '../../scripts/lib/free-port.js';

const MAIN = path.join(PROJECT_ROOT, 'dist', 'server', 'src', 'main.js');

interface Running {
  child: ChildProcess;
  stdout(): string;
  exited: Promise<void>;
}

async function startMain(configFile: string): Promise<Running> {
  const child = spawn(process.execPath, [MAIN], { env: { ...process.env, TOOL_EXECUTOR_CONFIG: configFile, LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk; });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk; });
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const check = (): void => {
      if (stderr.includes('tool executor serving')) resolve();
    };
    child.stderr!.on('data', check);
    child.once('exit', (code) => reject(new Error(`main.js exited (${code}) before serving: ${stderr.slice(-2000)}`)));
  });
  return { child, stdout: () => stdout, exited };
}

async function call(port: number, method: string, url: string, key: string, body?: object): Promise<{ status: number; requestId: string; body: unknown }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const request = http.request({
      host: '127.0.0.1', port, method, path: url, agent: false,
      headers: { Authorization: `Bearer ${key}`, ...(payload ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) } : {}) },
    }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (chunk: string) => { text += chunk; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, requestId: String(res.headers['x-request-id']), body: JSON.parse(text) }));
    });
    request.once('error', reject);
    request.end(payload);
  });
}

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
