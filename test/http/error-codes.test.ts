// The error-code registry: every code of server/src/errors.ts is documented in docs/errors.md
// with its status, and each one is provoked here over HTTP, as a client would meet it.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Router } from 'express';
import supertest from 'supertest';
import { KeyRing } from '../../server/src/auth/keys.js';
import { ERROR_STATUS, type ErrorCode } from '../../server/src/errors.js';
import { createHttpApp } from '../../server/src/http/app.js';
import { authenticate } from '../../server/src/http/authenticate.js';
import { PROJECT_ROOT } from '../../server/src/paths.js';
import { quietLogger, startTestService, type TestService } from '../helpers/service.js';
import { assertError } from './support.js';
import { createUntilRefused, mountTmpfs, tmpfsUnavailable } from '../helpers/tmpfs.js';

const CODES = Object.keys(ERROR_STATUS) as ErrorCode[];

const skillBody = (name: string, code: string) => ({
  name, version: '1.0.0', description: `test skill ${name}`, runtime: 'python3', entrypoint: 'main.py', handler: 'run', code,
});

describe('error codes', () => {
  const provoked = new Set<ErrorCode>();
  const expectError = (res: supertest.Response, code: ErrorCode): void => {
    assertError(res, code);
    provoked.add(code);
  };

  it('are each documented in docs/errors.md with their status', async () => {
    const doc = await readFile(path.join(PROJECT_ROOT, 'docs', 'errors.md'), 'utf8');
    for (const code of CODES) {
      assert.match(doc, new RegExp(`^\\| \`${code}\` \\| ${ERROR_STATUS[code]} \\|`, 'm'), `${code} ${ERROR_STATUS[code]} is in the table`);
    }
  });

  describe('provoked on the real service', () => {
    let t: TestService;
    before(async () => {
      t = await startTestService();
    });
    after(async () => {
      await t?.close();
    });

    it('validation_failed: a body that is not JSON', async () => {
      expectError(await t.as('client').post('/v1/skills/run').type('json').send('{nope'), 'validation_failed');
    });
    it('unauthorized: no key', async () => {
      expectError(await supertest(t.service.app).get('/v1/skills'), 'unauthorized');
    });
    it('forbidden: a client reading the audit log', async () => {
      expectError(await t.as('client').get('/v1/audit'), 'forbidden');
    });
    it('not_found: a skill that does not exist', async () => {
      expectError(await t.as('client').post('/v1/skills/run').send({ skill: 'no-such-skill', input: {} }), 'not_found');
    });
    it('method_not_allowed: GET on the run route', async () => {
      const res = await t.as('client').get('/v1/skills/run');
      expectError(res, 'method_not_allowed');
      assert.equal(res.headers.allow, 'POST');
    });
    it('conflict: running a draft', async () => {
      const created = await t.as('author').post('/v1/skills/create').send(skillBody('draft-only', 'def run(inp):\n    return {"ok": True}\n'));
      assert.equal(created.status, 201, created.text.slice(0, 300));
      assert.equal(created.body.skill.status, 'draft');
      expectError(await t.as('client').post('/v1/skills/run').send({ skill: 'draft-only', input: {} }), 'conflict');
    });
    it('payload_too_large: a body over the limit', async () => {
      expectError(await t.as('client').post('/v1/skills/run').send({ skill: 'word-count', input: { text: 'x'.repeat(t.service.config.server.body_limit_bytes) } }), 'payload_too_large');
    });
    it('unsupported_media_type: a form', async () => {
      expectError(await t.as('client').post('/v1/skills/run').type('form').send('skill=word-count'), 'unsupported_media_type');
    });
    it('blocked: a skill that calls eval', async () => {
      const res = await t.as('author').post('/v1/skills/create').send(skillBody('uses-eval', 'def run(inp):\n    return eval(inp["expr"])\n'));
      expectError(res, 'blocked');
      assert.ok(Array.isArray(res.body.error.details.review?.findings), 'the findings are in details.review');
    });

    it('overloaded: a second run while the only slot is taken and the queue holds none', async () => {
      await t.as('admin').put('/v1/admin/limits').send({ ...t.service.config.limits, concurrency: 1, queue: 0 }).expect(200);
      const created = await t.as('admin').post('/v1/skills/create')
        .send({ ...skillBody('slow-sleeper', 'import time\n\n\ndef run(inp):\n    time.sleep(2)\n    return {"slept": True}\n'), auto_promote: true });
      assert.equal(created.status, 201, created.text.slice(0, 300));
      if (created.body.skill.status !== 'active') await t.as('admin').post('/v1/skills/promote').send({ name: 'slow-sleeper', version: '1.0.0' }).expect(200);
      const run = () => t.as('client').post('/v1/skills/run').send({ skill: 'slow-sleeper', input: {} });
      const answers = await Promise.all([run(), run()]);
      const statuses = answers.map((res) => res.status).sort();
      assert.deepEqual(statuses, [200, 429], answers.map((res) => res.text.slice(0, 200)).join('\n'));
      const refused = answers.find((res) => res.status === 429)!;
      expectError(refused, 'overloaded');
      assert.ok(Number(refused.headers['retry-after']) >= 1, 'Retry-After in seconds');
    });
  });

  it('unavailable: the engine socket does not exist (runs and readiness)', async () => {
    const t = await startTestService({ sandbox: { docker_socket: '/nonexistent/docker.sock' } });
    try {
      const res = await t.as('client').post('/v1/skills/run').send({ skill: 'word-count', input: { text: 'a b' } });
      expectError(res, 'unavailable');
      assert.ok(Number(res.headers['retry-after']) >= 1, 'Retry-After in seconds');
      expectError(await supertest(t.service.app).get('/readyz'), 'unavailable');
    } finally {
      await t.close();
    }
  });

  it('storage_unavailable: creates on a data_dir whose disk is full', async function () {
    const why = tmpfsUnavailable();
    if (why) this.skip();
    const disk = await mountTmpfs(24);
    const t = await startTestService({ data_dir: path.join(disk.dir, 'data'), sandbox: { pool: { size: 0 } } });
    try {
      await disk.fill();
      const { answers } = await createUntilRefused(t);
      expectError(answers.at(-1)!, 'storage_unavailable');
    } finally {
      await t.close();
      await disk.unmount();
    }
  });

  it('internal: a route that throws a plain Error (test-only app)', async () => {
    const router = Router();
    router.get('/bug', () => {
      throw new TypeError("Cannot read properties of undefined (reading 'x')");
    });
    const app = createHttpApp({ logger: quietLogger, bodyLimitBytes: 1024, authenticate: authenticate(new KeyRing([])), publicPaths: ['/bug'], routers: [router] });
    const res = await supertest(app).get('/bug');
    expectError(res, 'internal');
    assert.ok(!res.text.includes('reading'), 'the bug is not described to the client');
  });

  // A describe of its own: mocha runs it after the one above, and after every it() of this level.
  describe('in all', () => {
    it('were each provoked above', () => {
      assert.deepEqual(CODES.filter((code) => !provoked.has(code)), []);
    });
  });
});
