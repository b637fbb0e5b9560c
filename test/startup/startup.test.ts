// Start-up that says what to fix: each way a start cannot succeed ends main.js with exit code 1 and
// one line on stderr naming the problem (a bad configuration key and what it must be, a port in
// use, an unusable data_dir, no container engine).
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from '../../scripts/lib/free-port.js';
import { spawnMain, stopMain, type Running } from '../helpers/main-process.js';

// Only a hang guard: a start that has not ended by then is a failure of its own.
const HANG_GUARD_MS = 60_000;

/** Runs main.js on `configYaml` until it exits; returns its exit code and the lines of its stderr. */
async function failedStart(dir: string, configYaml: string): Promise<{ code: number | null; lines: string[] }> {
  const configFile = path.join(dir, `config-${Math.random().toString(16).slice(2)}.yaml`);
  await writeFile(configFile, configYaml);
  const running: Running = spawnMain(configFile);
  const guard = setTimeout(() => running.child.kill('SIGKILL'), HANG_GUARD_MS);
  try {
    await running.exited;
  } finally {
    clearTimeout(guard);
    await stopMain(running);
  }
  assert.notEqual(running.child.signalCode, 'SIGKILL', `main.js hung: ${running.stderr().slice(-500)}`);
  return { code: running.child.exitCode, lines: running.stderr().split('\n').filter((line) => line !== '') };
}

function assertOneLine(result: { code: number | null; lines: string[] }, pattern: RegExp): void {
  assert.equal(result.code, 1, result.lines.join('\n'));
  assert.equal(result.lines.length, 1, `one line: ${result.lines.join('\n')}`);
  assert.match(result.lines[0]!, /^tool-executor: cannot start: /);
  assert.match(result.lines[0]!, pattern);
}

describe('start-up that says what to fix', function () {
  this.timeout(120_000);
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'te-startup-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('names the bad configuration key and the type it must have', async () => {
    const result = await failedStart(dir, 'server: {port: eighty}\ndata_dir: ./data\n');
    assertOneLine(result, /server\.port must be integer/);
  });

  it('names an unknown configuration key and where it is', async () => {
    const result = await failedStart(dir, 'limits:\n  defaults: {timeout: 5}\n');
    assertOneLine(result, /limits\.defaults must NOT have additional properties: timeout/);
  });

  it('names an array item by its index', async () => {
    const result = await failedStart(dir, 'auth:\n  keys:\n    - {id: ops, role: admin, sha256: short}\n');
    assertOneLine(result, /auth\.keys\[0\]\.sha256 must match pattern/);
  });

  it('says when the port is in use', async () => {
    const port = await freePort();
    const holder = net.createServer();
    await new Promise<void>((resolve) => holder.listen(port, '127.0.0.1', resolve));
    try {
      const result = await failedStart(dir, `server: {host: 127.0.0.1, port: ${port}}\ndata_dir: ./data-port\n`);
      assertOneLine(result, new RegExp(`server\\.port ${port}: 127\\.0\\.0\\.1:${port} is already in use`));
    } finally {
      await new Promise<void>((resolve) => holder.close(() => resolve()));
    }
  });

  it('says when data_dir cannot be used (under /proc)', async () => {
    const result = await failedStart(dir, 'data_dir: /proc/te-startup-test/data\n');
    assertOneLine(result, /data_dir \/proc\/te-startup-test\/data is not usable: .*mkdir '\/proc\/te-startup-test'/);
  });

  it('says when data_dir is a file', async () => {
    await writeFile(path.join(dir, 'a-file'), 'not a folder');
    const result = await failedStart(dir, 'data_dir: ./a-file\n');
    assertOneLine(result, /data_dir .*a-file is not usable: .*is not a directory/);
  });

  it('says when the container engine does not answer', async () => {
    const port = await freePort();
    const result = await failedStart(dir, `server: {port: ${port}}\ndata_dir: ./data-engine\nsandbox: {docker_socket: /nonexistent/docker.sock}\n`);
    assertOneLine(result, /the container engine does not answer at \/nonexistent\/docker\.sock/);
  });
});
