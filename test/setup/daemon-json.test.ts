// scripts/lib/daemon-json.mjs, which `npm run setup` uses to register runsc with the engine: it adds
// the runtime to daemon.json, keeps every other key, leaves an existing entry of that name alone,
// and never touches a file it cannot read as a JSON object.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { PROJECT_ROOT } from '../../server/src/paths.js';

const execFileAsync = promisify(execFile);
const SCRIPT = path.join(PROJECT_ROOT, 'scripts', 'lib', 'daemon-json.mjs');
const RUNSC = { path: '/usr/bin/runsc', runtimeArgs: ['--network=none', '--oci-seccomp'] };

async function register(file: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return execFileAsync(process.execPath, [SCRIPT, file, 'runsc', RUNSC.path, ...RUNSC.runtimeArgs]).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
  );
}

describe('setup: registering runsc in daemon.json', () => {
  let dir: string;
  let file: string;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'te-daemon-json-'));
    file = path.join(dir, 'daemon.json');
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('creates daemon.json with the runtime when there is none', async () => {
    assert.deepEqual(await register(file), { code: 0, stdout: 'added\n', stderr: '' });
    assert.deepEqual(JSON.parse(await readFile(file, 'utf8')), { runtimes: { runsc: RUNSC } });
  });

  it('keeps every other key and runtime, and a second run changes nothing', async () => {
    const existing = { 'log-level': 'warn', 'default-runtime': 'runc', runtimes: { kata: { path: '/usr/bin/kata-runtime' } } };
    await writeFile(file, JSON.stringify(existing));
    assert.equal((await register(file)).stdout, 'added\n');
    const written = await readFile(file, 'utf8');
    assert.deepEqual(JSON.parse(written), { ...existing, runtimes: { ...existing.runtimes, runsc: RUNSC } });
    assert.equal((await register(file)).stdout, 'present\n');
    assert.equal(await readFile(file, 'utf8'), written);
  });

  it('leaves a runsc entry its owner wrote as it is', async () => {
    const owners = JSON.stringify({ runtimes: { runsc: { path: '/opt/gvisor/runsc', runtimeArgs: ['--platform=kvm'] } } });
    await writeFile(file, owners);
    assert.equal((await register(file)).stdout, 'present\n');
    assert.equal(await readFile(file, 'utf8'), owners);
  });

  it('refuses, and leaves unchanged, a file that is not a JSON object or whose runtimes is not one', async () => {
    for (const text of ['{"log-level": "warn",', '["runtimes"]', '{"runtimes": []}']) {
      await writeFile(file, text);
      const { code, stderr } = await register(file);
      assert.equal(code, 2, text);
      assert.match(stderr, /left unchanged/);
      assert.equal(await readFile(file, 'utf8'), text);
    }
  });
});
