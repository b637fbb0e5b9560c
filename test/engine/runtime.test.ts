// The runtime sandboxes run under (sandbox.runtime, SPEC §5): `auto` takes gVisor's runsc where the
// engine lists it and runc otherwise, settled once; runsc asked for by name and missing is an error
// that says what to do. What the engine lists is asked of the docker CLI, not of the code under test.
import assert from 'node:assert/strict';
import { release } from 'node:os';
import { AppError } from '../../server/src/errors.js';
import { createDockerBackend, pickRuntime, RuntimeMissingError } from '../../server/src/engine/index.js';
import { assertNoContainersLeft, engineListsRunsc, PERMISSIVE_POLICY, py, RUNNER_IMAGE, skillJob, testBackend, TEST_RUNTIME, uniqueDataDir } from '../helpers/docker.js';

describe('engine: the runtime sandboxes run under', () => {
  const dataDir = uniqueDataDir('runtime');

  after(async () => {
    await assertNoContainersLeft(dataDir);
  });

  it('auto takes runsc where the engine lists it and runc otherwise, and is unsettled until asked', async () => {
    const backend = createDockerBackend({ image: RUNNER_IMAGE, runtime: 'auto', dataDir, instanceId: 'auto' });
    try {
      assert.equal(backend.runtimeInForce(), null);
      const expected = (await engineListsRunsc()) ? 'runsc' : 'runc';
      assert.equal(await backend.resolveRuntime(), expected);
      assert.equal(backend.runtimeInForce(), expected);
    } finally {
      await backend.close();
    }
  });

  it('runs the skill under the runtime in force: gVisor\'s own kernel answers under runsc, the host\'s under runc', async () => {
    const { backend, dataDir: runDataDir } = testBackend('runtime-uname');
    try {
      const outcome = await backend.run(skillJob(py`
        import os
        def run(inp):
            return os.uname().release
      `, { policy: PERMISSIVE_POLICY }));
      assert.equal(outcome.status, 'succeeded', JSON.stringify(outcome.error));
      assert.equal(backend.runtimeInForce(), TEST_RUNTIME);
      if (TEST_RUNTIME === 'runsc') assert.notEqual(outcome.result, release(), 'gVisor reports a kernel of its own');
      else assert.equal(outcome.result, release());
    } finally {
      await backend.close();
      await assertNoContainersLeft(runDataDir);
    }
  });

  it('picks from what the engine lists: runsc asked for and missing says what to do', () => {
    assert.equal(pickRuntime('auto', ['io.containerd.runc.v2', 'runc', 'runsc']), 'runsc');
    assert.equal(pickRuntime('auto', ['io.containerd.runc.v2', 'runc']), 'runc');
    assert.equal(pickRuntime('runc', ['runc', 'runsc']), 'runc');
    assert.equal(pickRuntime('runsc', ['runc', 'runsc']), 'runsc');
    assert.throws(() => pickRuntime('runsc', ['io.containerd.runc.v2', 'runc']), (error: unknown) => {
      assert.ok(error instanceof RuntimeMissingError);
      assert.match(error.message, /^sandbox\.runtime is runsc, but the container engine has no runtime of that name \(it lists: io\.containerd\.runc\.v2, runc\)/);
      assert.match(error.message, /npm run setup/);
      return true;
    });
  });

  it('an engine that does not answer leaves auto unsettled and unavailable, and the next call asks again', async () => {
    const unreachable = createDockerBackend({ image: RUNNER_IMAGE, runtime: 'auto', dataDir, instanceId: 'unreachable', socketPath: '/nonexistent/docker.sock' });
    try {
      for (let attempt = 0; attempt < 2; attempt++) {
        await assert.rejects(unreachable.resolveRuntime(), (error: unknown) => error instanceof AppError && error.code === 'unavailable');
        assert.equal(unreachable.runtimeInForce(), null);
      }
    } finally {
      await unreachable.close();
    }
  });
});
