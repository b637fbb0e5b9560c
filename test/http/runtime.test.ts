// Which runtime the sandboxes run under, as an operator sees it: GET /readyz's body and the
// tool_executor_sandbox_runtime_info gauge of /metrics; and sandbox.runtime in the configuration.
import assert from 'node:assert/strict';
import supertest from 'supertest';
import { buildConfig, defaultConfig, type ConfigFile } from '../../server/src/config/index.js';
import { engineListsRunsc, TEST_RUNTIME } from '../helpers/docker.js';
import { contracts, startTestService } from '../helpers/service.js';

function runtimeGauge(metrics: string): string[] {
  return metrics.split('\n').filter((line) => line.startsWith('tool_executor_sandbox_runtime_info{'));
}

/** /readyz and /metrics of a service started with `overrides` both name `expected()`. */
async function assertRuntimeShown(overrides: ConfigFile, expected: () => Promise<string>): Promise<void> {
  const t = await startTestService(overrides);
  try {
    const runtime = await expected();
    assert.equal(t.service.engine.runtimeInForce(), runtime);
    const ready = await supertest(t.service.app).get('/readyz').expect(200);
    assert.deepEqual(ready.body, { status: 'ready', sandbox_runtime: runtime });
    const metrics = await supertest(t.service.app).get('/metrics').expect(200);
    assert.deepEqual(runtimeGauge(metrics.text), [`tool_executor_sandbox_runtime_info{runtime="${runtime}"} 1`]);
  } finally {
    await t.close();
  }
}

describe('the sandbox runtime in force', () => {
  it('is in /readyz and /metrics: the one of this test pass', () => assertRuntimeShown({}, async () => TEST_RUNTIME));

  it('with auto, is runsc where the engine lists it and runc otherwise', () =>
    assertRuntimeShown({ sandbox: { runtime: 'auto' } }, async () => ((await engineListsRunsc()) ? 'runsc' : 'runc')));

  it('is not settled while the engine does not answer: no gauge sample, /readyz 503', async () => {
    const t = await startTestService({ sandbox: { runtime: 'auto', docker_socket: '/nonexistent/docker.sock' } });
    try {
      assert.equal(t.service.engine.runtimeInForce(), null);
      await supertest(t.service.app).get('/readyz').expect(503);
      const metrics = await supertest(t.service.app).get('/metrics').expect(200);
      assert.deepEqual(runtimeGauge(metrics.text), []);
    } finally {
      await t.close();
    }
  });

  it('is configured as auto by default, and only auto, runc or runsc are accepted', () => {
    assert.equal(defaultConfig().sandbox.runtime, 'auto');
    for (const runtime of ['auto', 'runc', 'runsc']) assert.equal(buildConfig({ sandbox: { runtime } }, contracts).sandbox.runtime, runtime);
    assert.throws(() => buildConfig({ sandbox: { runtime: 'kata' } }, contracts), (error: unknown) => (error as { code?: string }).code === 'validation_failed');
  });
});
