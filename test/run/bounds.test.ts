// What authors and skills send can never stall or crash the server (issue: catastrophic regexes, $ref
// loops, manifests the store cannot read, results too deep to serialise), and the review is made once
// per digest and policy, yet never outlives a change of either. Against the real engine.
import assert from 'node:assert/strict';
import { appendFile } from 'node:fs/promises';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { assertNoContainersLeft } from '../helpers/docker.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { packageOf } from '../store/packages.js';

const CATASTROPHIC = '^(a+)+$';

function createBody(name: string, code: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name, version: '1.0.0', description: `bounds test ${name}`, runtime: 'python3', entrypoint: 'main.py', handler: 'run',
    code, auto_promote: true, ...extra,
  };
}

function ndjsonLines(res: { body: unknown }): Array<Record<string, unknown>> {
  return (res.body as string).trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('bounds on what authors and skills send', function () {
  let t: TestService;
  let server: Server;
  let base: string;

  before(async function () {
    t = await startTestService({ registry: { preinstall: [] }, sandbox: { result_max_depth: 64 } });
    server = await t.service.listen();
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async function () {
    await t.close();
    await assertNoContainersLeft(t.dataDir);
  });

  const create = (body: Record<string, unknown>) => t.as('admin').post('/v1/skills/create').send(body);

  describe('schemas at create and install', () => {
    it('refuses an input_schema with a $ref loop with 400 naming it, and stores nothing', async () => {
      const res = await create(createBody('looped', 'def run(inp):\n    return 1\n', { input_schema: { $defs: { a: { $ref: '#/$defs/a' } }, $ref: '#/$defs/a' } }));
      assert.equal(res.status, 400, JSON.stringify(res.body));
      assert.equal(res.body.error.code, 'validation_failed');
      assert.equal(res.body.error.details.rule, 'schema-ref-loop');
      assert.match(res.body.error.message, /input_schema: .*\$ref loop/);
      assert.equal((await t.as('admin').get('/v1/skills/looped')).status, 404);
      const [event] = await t.service.audit.query({ event: 'create', skill: 'looped', limit: 1 });
      assert.equal(event?.outcome, 'validation_failed');
    });

    it('refuses a remote $ref and an unsupported keyword in output_schema', async () => {
      const remote = await create(createBody('remote', 'def run(inp):\n    return 1\n', { output_schema: { $ref: 'https://example.com/s.json' } }));
      assert.equal(remote.status, 400);
      assert.equal(remote.body.error.details.rule, 'schema-remote-ref');
      const unknown = await create(createBody('unknown', 'def run(inp):\n    return 1\n', { output_schema: { type: 'object', $dynamicRef: '#x' } }));
      assert.equal(unknown.status, 400);
      assert.equal(unknown.body.error.details.rule, 'schema-keyword');
    });

    it('refuses a manifest the store could not read back (9,000 properties) instead of storing it', async () => {
      const wide = (count: number) => ({ type: 'object', properties: Object.fromEntries(Array.from({ length: count }, (_, i) => [`field_${String(i).padStart(4, '0')}`, { type: 'string' }])) });
      const res = await create(createBody('wide', 'def run(inp):\n    return 1\n', { input_schema: wide(9000) }));
      assert.equal(res.status, 400, JSON.stringify(res.body).slice(0, 500));
      assert.equal(res.body.error.details.rule, 'schema-too-large');
      // Two schemas each within their bounds that together make manifest.yaml (block YAML, indented at
      // every level) larger than store.max_manifest_bytes.
      let nested: Record<string, unknown> = { type: 'object', properties: Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`leaf_${i}`, { type: 'string', description: 'd'.repeat(40) }])) };
      for (let level = 0; level < 14; level++) nested = { type: 'object', properties: { inner: nested } };
      const both = await create(createBody('wide', 'def run(inp):\n    return 1\n', { input_schema: nested, output_schema: nested }));
      assert.equal(both.status, 413, JSON.stringify(both.body).slice(0, 500));
      assert.equal(both.body.error.details.rule, 'manifest-too-large');
      assert.equal((await t.as('admin').get('/v1/skills/wide')).status, 404);
    });

    it('refuses an uploaded package whose schema loops', async () => {
      const manifest = 'name: pkgloop\nversion: 1.0.0\ndescription: loops\nruntime: python3\nentrypoint: main.py\nhandler: run\ninput_schema: {$ref: "#"}\n';
      const bytes = await packageOf([{ name: 'manifest.yaml', data: manifest }, { name: 'main.py', data: 'def run(inp):\n    return 1\n' }]);
      const res = await t.as('admin').post('/v1/skills/install').set('Content-Type', 'application/gzip').send(bytes);
      assert.equal(res.status, 400, JSON.stringify(res.body));
      assert.equal(res.body.error.details.rule, 'schema-ref-loop');
    });
  });

  describe('regular expressions run in linear time', function () {
    before(async function () {
      if (!(await t.service.engine.imagePresent().catch(() => false))) this.skip();
    });

    it('checks input against a catastrophic pattern while /healthz keeps answering', async () => {
      const created = await create(createBody('evil-in', 'def run(inp):\n    return inp\n', { input_schema: { type: 'object', properties: { s: { type: 'string', pattern: CATASTROPHIC } } } }));
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const latencies: number[] = [];
      let running = true;
      const probe = (async () => {
        while (running) {
          const started = performance.now();
          const health = await fetch(`${base}/healthz`);
          assert.equal(health.status, 200);
          latencies.push(performance.now() - started);
        }
      })();
      try {
        // With a backtracking engine 30 characters stall the event loop for seconds; 100,000 never end.
        for (const length of [30, 100_000]) {
          const res = await t.as('client').post('/v1/skills/run').send({ skill: 'evil-in', input: { s: 'a'.repeat(length) + '!' } });
          assert.equal(res.status, 400, JSON.stringify(res.body).slice(0, 300));
          assert.equal(res.body.error.code, 'validation_failed');
        }
      } finally {
        running = false;
        await probe;
      }
      assert.ok(latencies.length > 0);
      const matching = await t.as('client').post('/v1/skills/run').send({ skill: 'evil-in', input: { s: 'aaaa' } });
      assert.equal(matching.body.status, 'succeeded', JSON.stringify(matching.body));
    });

    it('checks a result against a catastrophic output_schema pattern: the skill fails, nothing stalls', async () => {
      const code = 'def run(inp):\n    return "a" * 100000 + "!"\n';
      const created = await create(createBody('evil-out', code, { output_schema: { type: 'string', pattern: CATASTROPHIC } }));
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const res = await t.as('client').post('/v1/skills/run').send({ skill: 'evil-out', input: {} });
      assert.equal(res.status, 200);
      assert.equal(res.body.status, 'failed');
      assert.equal(res.body.error.type, 'OutputSchemaViolation');
    });
  });

  describe('results are bounded', function () {
    before(async function () {
      if (!(await t.service.engine.imagePresent().catch(() => false))) this.skip();
      const code = 'def run(inp):\n    value = []\n    for _ in range(inp["depth"]):\n        value = [value]\n    return value\n';
      const created = await create(createBody('deep', code));
      assert.equal(created.status, 201, JSON.stringify(created.body));
    });

    it('ends a result deeper than the bound as failed (JSON), audited as failed', async () => {
      const res = await t.as('client').post('/v1/skills/run').send({ skill: 'deep', input: { depth: 500 } });
      assert.equal(res.status, 200, JSON.stringify(res.body).slice(0, 300));
      assert.equal(res.body.status, 'failed');
      assert.equal(res.body.error.type, 'ResultTooDeep');
      assert.equal(res.body.result, null);
      const [event] = await t.service.audit.query({ event: 'run', skill: 'deep', limit: 1 });
      assert.equal(event?.outcome, 'failed');
      assert.equal((event?.details as { run_id?: string }).run_id, res.body.run_id);
    });

    it('ends it the same way on the NDJSON stream', async () => {
      const res = await t.as('client').post('/v1/skills/run').set('Accept', 'application/x-ndjson').send({ skill: 'deep', input: { depth: 500 } })
        .buffer(true).parse((r, done) => {
          let text = '';
          r.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
          r.on('end', () => done(null, text));
        });
      assert.equal(res.status, 200);
      const last = ndjsonLines(res).at(-1)!;
      assert.equal(last.type, 'result');
      assert.equal(last.status, 'failed');
      assert.equal((last.error as { type: string }).type, 'ResultTooDeep');
    });

    it('passes a result within the bound', async () => {
      const res = await t.as('client').post('/v1/skills/run').send({ skill: 'deep', input: { depth: 10 } });
      assert.equal(res.body.status, 'succeeded', JSON.stringify(res.body));
    });
  });

  describe('the review is made once per digest and policy', function () {
    before(async function () {
      if (!(await t.service.engine.imagePresent().catch(() => false))) this.skip();
    });

    it('serves warm runs from the cache, and re-reviews a file changed on disk (refused: digest mismatch)', async () => {
      const created = await create(createBody('cached', 'def run(inp):\n    return 1\n'));
      assert.equal(created.status, 201, JSON.stringify(created.body));
      assert.equal((await t.as('client').post('/v1/skills/run').send({ skill: 'cached', input: {} })).body.status, 'succeeded');
      const before = t.service.control.stats();
      assert.equal((await t.as('client').post('/v1/skills/run').send({ skill: 'cached', input: {} })).body.status, 'succeeded');
      const after = t.service.control.stats();
      assert.equal(after.reviewed, before.reviewed, 'no new review for an unchanged skill under an unchanged policy');
      assert.equal(after.cached, before.cached + 1);

      await appendFile(path.join(t.dataDir, 'skills', 'cached', '1.0.0', 'main.py'), '\nX = 2\n');
      const res = await t.as('client').post('/v1/skills/run').send({ skill: 'cached', input: {} });
      assert.equal(res.status, 422, JSON.stringify(res.body));
      assert.equal(res.body.error.details.review.findings[0].rule, 'digest-mismatch');
      assert.equal(t.service.control.stats().reviewed, after.reviewed + 1);
    });

    it('re-reviews under a changed policy, and refuses what the new policy escalates', async () => {
      const created = await create(createBody('policed', 'def run(inp):\n    return 1\n', { limits: { timeout_ms: 5000 } }));
      assert.equal(created.status, 201, JSON.stringify(created.body));
      assert.equal((await t.as('client').post('/v1/skills/run').send({ skill: 'policed', input: {} })).body.status, 'succeeded');
      const limits = (await t.as('admin').get('/v1/admin/limits')).body;
      const lowered = { ...limits, defaults: { ...limits.defaults, timeout_ms: 4000 }, max: { ...limits.max, timeout_ms: 4000 } };
      assert.equal((await t.as('admin').put('/v1/admin/limits').send(lowered)).status, 200);
      try {
        const reviewed = t.service.control.stats().reviewed;
        const res = await t.as('client').post('/v1/skills/run').send({ skill: 'policed', input: {} });
        assert.equal(res.status, 422, JSON.stringify(res.body));
        assert.ok(res.body.error.details.review.findings.some((f: { rule: string }) => f.rule === 'limits-above-max'));
        assert.equal(t.service.control.stats().reviewed, reviewed + 1);
      } finally {
        await t.as('admin').put('/v1/admin/limits').send(limits);
      }
    });
  });
});
