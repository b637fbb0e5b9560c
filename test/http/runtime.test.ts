// Which runtime the sandboxes run under, as an operator sees it: GET /readyz's body and the
// tool_executor_sandbox_runtime_info gauge of /metrics; and sandbox.runtime in the configuration.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import supertest from 'supertest';
import { buildConfig, defaultConfig, type ConfigFile } from '../../server/src/config/index.js';
import { engineListsRunsc, TEST_RUNTIME } from '../helpers/docker.js';
import { createService } from '../../server/src/app.js';
import { contracts, quietLogger, startTestService } from '../helpers/service.js';

/**
 * An engine that has no runsc: a stand-in on a unix socket that answers the Engine API's ping and
 * info as an engine with runc alone does (the shared engine here has runsc, and must keep it).
 */
async function engineWithoutRunsc(): Promise<{ dir: string; socket: string; close(): Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'te-engine-'));
  const socket = path.join(dir, 'docker.sock');
  const server = http.createServer((req, res) => {
    const route = (req.url ?? '').replace(/^\/v[0-9.]+/, '').split('?')[0];
    if (route === '/_ping') return void res.end('OK');
    if (route === '/info') return void res.setHeader('Content-Type', 'application/json').end(JSON.stringify({ Runtimes: { runc: { path: 'runc' } } }));
    res.statusCode = 404;
    res.setHeader('Content-Type', 'application/json').end(JSON.stringify({ message: `no ${route} here` }));
  });
  await new Promise<void>((resolve) => server.listen(socket, resolve));
  return {
    dir,
    socket,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

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

  it('on an engine without runsc: auto runs runc; runsc asked for by name stops the start-up and says what to do', async () => {
    const engine = await engineWithoutRunsc();
    try {
      const t = await startTestService({ sandbox: { runtime: 'auto', docker_socket: engine.socket } });
      try {
        assert.equal(t.service.engine.runtimeInForce(), 'runc');
      } finally {
        await t.close();
      }
      const config = buildConfig({ data_dir: path.join(engine.dir, 'data'), sandbox: { runtime: 'runsc', docker_socket: engine.socket } }, contracts);
      await assert.rejects(createService(config, { contracts, logger: quietLogger }), (error: unknown) => {
        assert.match(String((error as Error).message), /^sandbox\.runtime is runsc, but the container engine has no runtime of that name \(it lists: runc\); `npm run setup` registers gVisor/);
        return true;
      });
    } finally {
      await engine.close();
    }
  });

  it('is configured as auto by default, and only auto, runc or runsc are accepted', () => {
    assert.equal(defaultConfig().sandbox.runtime, 'auto');
    for (const runtime of ['auto', 'runc', 'runsc']) assert.equal(buildConfig({ sandbox: { runtime } }, contracts).sandbox.runtime, runtime);
    assert.throws(() => buildConfig({ sandbox: { runtime: 'kata' } }, contracts), (error: unknown) => (error as { code?: string }).code === 'validation_failed');
  });
});
