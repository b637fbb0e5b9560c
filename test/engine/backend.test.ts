// The backend's life around the runs: is the engine there, is the image there, what does a crash
// leave behind and who cleans it, and what a caller sees when the engine cannot be reached.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { AppError } from '../../server/src/errors.js';
import { createDockerBackend, SANDBOX_LABELS } from '../../server/src/engine/index.js';
import { assertNoContainersLeft, containersOf, RUNNER_IMAGE, skillJob, testBackend, uniqueDataDir } from '../helpers/docker.js';

const execFileAsync = promisify(execFile);

/** A stopped container labelled as a run of `dataDir` by another (crashed) instance, made without the backend. */
async function leftoverOf(dataDir: string): Promise<string> {
  const { stdout } = await execFileAsync('docker', [
    'create',
    '--label', `${SANDBOX_LABELS.instance}=crashed-${randomBytes(4).toString('hex')}`,
    '--label', `${SANDBOX_LABELS.dataDir}=${dataDir}`,
    '--label', `${SANDBOX_LABELS.role}=run`,
    RUNNER_IMAGE,
  ]);
  return stdout.trim();
}

async function assertUnavailable(promise: Promise<unknown>): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof AppError, String(error));
    assert.equal(error.code, 'unavailable');
    assert.equal(error.status, 503);
    assert.ok((error.retryAfterS ?? 0) > 0);
    return true;
  });
}

describe('engine: the backend around the runs', () => {
  const { backend, dataDir } = testBackend('backend');
  const otherDataDir = uniqueDataDir('backend-other');

  after(async () => {
    await backend.close();
    await execFileAsync('docker', ['rm', '--force', ...(await containersOf(otherDataDir))]).catch(() => undefined);
    await assertNoContainersLeft(dataDir);
    await assertNoContainersLeft(otherDataDir);
  });

  it('answers ping and finds the runner image', async () => {
    assert.equal(await backend.ping(), true);
    assert.equal(await backend.imagePresent(), true);
  });

  it('says when the runner image is missing, and a run then is unavailable', async () => {
    const missing = createDockerBackend({ image: 'tool-executor-runner:no-such-tag', dataDir, instanceId: 'missing-image' });
    try {
      assert.equal(await missing.imagePresent(), false);
      await assertUnavailable(missing.run(skillJob('def run(inp):\n    return 1\n')));
    } finally {
      await missing.close();
    }
  });

  it('removes the leftovers of its own data_dir only, not those of another data_dir', async () => {
    const ours = [await leftoverOf(dataDir), await leftoverOf(dataDir)];
    const theirs = await leftoverOf(otherDataDir);
    assert.equal(await backend.removeLeftovers(), 2);
    assert.deepEqual((await containersOf(dataDir)).filter((id) => ours.some((full) => full.startsWith(id))), []);
    assert.deepEqual(await containersOf(otherDataDir), [theirs.slice(0, 12)]);
  });

  it('reports an unreachable engine as unavailable (503 with Retry-After)', async () => {
    const unreachable = createDockerBackend({ image: RUNNER_IMAGE, dataDir, instanceId: 'unreachable', socketPath: '/nonexistent/docker.sock' });
    try {
      assert.equal(await unreachable.ping(), false);
      await assertUnavailable(unreachable.run(skillJob('def run(inp):\n    return 1\n')));
      await assertUnavailable(unreachable.removeLeftovers());
    } finally {
      await unreachable.close();
    }
  });

  it('refuses new runs once closed', async () => {
    const closing = createDockerBackend({ image: RUNNER_IMAGE, dataDir, instanceId: 'closing' });
    await closing.close();
    await assertUnavailable(closing.run(skillJob('def run(inp):\n    return 1\n')));
  });
});
