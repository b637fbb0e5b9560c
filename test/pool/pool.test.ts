// The pool's promises on the real engine: no container serves two runs, the pool refills with new
// containers, a dead or stale one is replaced, close() and a crash leave nothing behind (the
// latter after the next start's removeLeftovers), and a pool of size 0 is the cold path.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createDockerBackend, SANDBOX_LABELS } from '../../server/src/engine/index.js';
import { AppError } from '../../server/src/errors.js';
import { assertNoContainersLeft, containersOf, PERMISSIVE_POLICY, py, RUNNER_IMAGE, skillJob, testBackend, uniqueDataDir } from '../helpers/docker.js';
import { containerExists, poolContainers, poolFilled, WHO_SERVES } from './helpers.js';

const execFileAsync = promisify(execFile);
const CRASH_CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'crash-child.js');
const whoServes = skillJob(WHO_SERVES, { policy: PERMISSIVE_POLICY });

async function until(condition: () => Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function allGone(ids: string[]): Promise<boolean> {
  for (const id of ids) if (await containerExists(id)) return false;
  return true;
}

describe('pool: one fresh container per run, kept full, gone when done', () => {
  describe('a pool of 2', () => {
    const { backend, dataDir } = testBackend('pool', { size: 2 });
    const served: string[] = [];

    before(() => backend.warmUp());

    after(async () => {
      await backend.close();
      await assertNoContainersLeft(dataDir);
    });

    it('never lets a container serve two runs: 8 runs, 8 containers, each /tmp empty at the start, all removed', async () => {
      await poolFilled(dataDir, 2);
      for (let i = 0; i < 4; i++) served.push(((await backend.run(whoServes)).result as { hostname: string }).hostname);
      const concurrent = await Promise.all(Array.from({ length: 4 }, () => backend.run(whoServes)));
      for (const outcome of concurrent) {
        assert.equal(outcome.status, 'succeeded', JSON.stringify(outcome.error));
        assert.deepEqual((outcome.result as { tmp_at_start: string[] }).tmp_at_start, []);
        served.push((outcome.result as { hostname: string }).hostname);
      }
      assert.equal(new Set(served).size, 8, `containers: ${served.join(', ')}`);
      await until(() => allGone(served), 'every container that served a run is removed');
    });

    it('refills after use, with containers that never served a run', async () => {
      const refilled = await poolFilled(dataDir, 2);
      assert.equal(refilled.length, 2);
      assert.deepEqual(refilled.filter((id) => served.includes(id)), []);
    });

    it('replaces a warm container that died while waiting, and the next run is served', async () => {
      const [victim, survivor] = await poolFilled(dataDir, 2);
      await execFileAsync('docker', ['kill', victim!]);
      await until(async () => !(await containerExists(victim!)) && (await poolContainers(dataDir)).length === 2, 'the dead container is removed and replaced');
      assert.ok((await poolContainers(dataDir)).includes(survivor!));
      const outcome = await backend.run(whoServes);
      assert.equal(outcome.status, 'succeeded', JSON.stringify(outcome.error));
      assert.notEqual((outcome.result as { hostname: string }).hostname, victim);
    });
  });

  it('answers only once stderr is complete: a line written just before returning is always in the log', async () => {
    const { backend, dataDir } = testBackend('pool-stderr', { size: 2 });
    const lastWords = skillJob(py`
      import sys

      def run(inp):
          print('out', inp['i'])
          sys.stderr.write('err %d\n' % inp['i'])
          return inp['i']
    `, { policy: PERMISSIVE_POLICY });
    try {
      backend.warmUp();
      for (let i = 0; i < 20; i++) {
        const outcome = await backend.run({ ...lastWords, input: { i } });
        assert.equal(outcome.status, 'succeeded', JSON.stringify(outcome.error));
        assert.equal(outcome.result, i);
        assert.ok(outcome.logs.includes(`err ${i}\n`) && outcome.logs.includes(`out ${i}\n`), `run ${i} lost a line: ${JSON.stringify(outcome.logs)}`);
        assert.ok(!outcome.logs.includes('\u001e'), 'the end mark is not part of the log');
      }
    } finally {
      await backend.close();
    }
    await assertNoContainersLeft(dataDir);
  });

  it('replaces containers that waited longer than maxIdleMs', async () => {
    const { backend, dataDir } = testBackend('pool-stale', { size: 1, maxIdleMs: 1000 });
    try {
      backend.warmUp();
      const [first] = await poolFilled(dataDir, 1);
      await until(async () => !(await containerExists(first!)) && (await poolContainers(dataDir)).length === 1, 'the stale container is replaced');
    } finally {
      await backend.close();
    }
    await assertNoContainersLeft(dataDir);
  });

  it('close() waits for the run in progress, removes the pool and leaves nothing', async () => {
    const { backend, dataDir } = testBackend('pool-close', { size: 2 });
    backend.warmUp();
    await poolFilled(dataDir, 2);
    const running = backend.run(skillJob('import time\ndef run(inp):\n    time.sleep(1)\n    return "slept"\n'));
    await new Promise((resolve) => setTimeout(resolve, 300));
    await backend.close();
    assert.equal((await running).result, 'slept');
    await assertNoContainersLeft(dataDir);
    await assert.rejects(backend.run(whoServes), (error: unknown) => error instanceof AppError && error.code === 'unavailable');
  });

  it('a crash leaves the pool behind, and the next start\'s removeLeftovers removes it', async () => {
    const dataDir = uniqueDataDir('pool-crash');
    const child = spawn(process.execPath, [CRASH_CHILD, dataDir, '2'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('ready')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`the child exited (${code}) before its pool was ready`)));
    });
    child.kill('SIGKILL');
    await exited;
    const left = await containersOf(dataDir);
    assert.equal(left.length, 2, 'the killed process left its pool');

    const restarted = createDockerBackend({ image: RUNNER_IMAGE, dataDir, instanceId: randomBytes(6).toString('hex') });
    try {
      assert.equal(await restarted.removeLeftovers(), 2);
    } finally {
      await restarted.close();
    }
    await assertNoContainersLeft(dataDir);
  });

  it('with size 0 every run starts its own container and no pool container ever exists', async () => {
    const { backend, dataDir } = testBackend('pool-off', { size: 0 });
    const hostnames: string[] = [];
    try {
      backend.warmUp();
      for (let i = 0; i < 3; i++) {
        const outcome = await backend.run(whoServes);
        assert.equal(outcome.status, 'succeeded', JSON.stringify(outcome.error));
        assert.deepEqual((outcome.result as { tmp_at_start: string[] }).tmp_at_start, []);
        hostnames.push((outcome.result as { hostname: string }).hostname);
        const { stdout } = await execFileAsync('docker', ['ps', '--all', '--quiet', '--filter', `label=${SANDBOX_LABELS.dataDir}=${dataDir}`, '--filter', `label=${SANDBOX_LABELS.role}=pool`]);
        assert.equal(stdout, '');
      }
    } finally {
      await backend.close();
    }
    assert.equal(new Set(hostnames).size, 3);
    await assertNoContainersLeft(dataDir);
  });

  it('keeps serving a run that streams its log after the frame arrives, without mixing runs', async () => {
    const { backend, dataDir } = testBackend('pool-logs', { size: 2 });
    const policy = { ...PERMISSIVE_POLICY };
    try {
      backend.warmUp();
      await poolFilled(dataDir, 2);
      const outcomes = await Promise.all(Array.from({ length: 6 }, (_, i) => backend.run(skillJob(py`
        import sys
        def run(inp):
            print('out', inp['i'])
            print('err', inp['i'], file=sys.stderr)
            return inp['i']
      `, { policy, input: { i } }))));
      outcomes.forEach((outcome, i) => {
        assert.equal(outcome.result, i);
        assert.equal(outcome.exit_code, 0);
        assert.match(outcome.logs, new RegExp(`^(out ${i}\\nerr ${i}\\n|err ${i}\\nout ${i}\\n)$`));
      });
    } finally {
      await backend.close();
    }
    await assertNoContainersLeft(dataDir);
  });
});
