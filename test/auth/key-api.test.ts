// API keys at run time: an admin creates a key (shown once), lists keys, revokes one; only hashes
// are kept, every change is audited, and each takes effect on the next request, with no restart.
// The command line (`npx tool-executor keys …`) does the same against a running server.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import supertest from 'supertest';
import { createService } from '../../server/src/app.js';
import { PROJECT_ROOT } from '../../server/src/paths.js';
import { assertError } from '../http/support.js';
import { quietLogger, startTestService, type TestService } from '../helpers/service.js';

const execFileAsync = promisify(execFile);
const CLI = path.join(PROJECT_ROOT, 'bin', 'tool-executor.js');

describe('API keys at run time', function () {
  this.timeout(120_000);
  let t: TestService;
  before(async () => {
    t = await startTestService({ sandbox: { pool: { size: 0 } } });
  });
  after(async () => {
    await t?.close();
  });

  const withKey = (key: string) => ({
    get: (url: string) => supertest(t.service.app).get(url).set('Authorization', `Bearer ${key}`),
  });

  it('lets only an admin create, list and revoke keys', async () => {
    for (const role of ['client', 'author'] as const) {
      assertError(await t.as(role).post('/v1/admin/keys').send({ id: `by-${role}`, role: 'admin' }), 'forbidden');
      assertError(await t.as(role).get('/v1/admin/keys'), 'forbidden');
      assertError(await supertest(t.service.app).delete('/v1/admin/keys/client-key').set('Authorization', `Bearer ${t.keys[role]}`), 'forbidden');
    }
    assertError(await supertest(t.service.app).post('/v1/admin/keys').send({ id: 'anon', role: 'admin' }), 'unauthorized');
  });

  it('creates a key that works at once, for its role only, shown once and stored as a hash', async () => {
    const res = await t.as('admin').post('/v1/admin/keys').send({ id: 'reader', role: 'client' });
    assert.equal(res.status, 201, res.text.slice(0, 300));
    assert.deepEqual(Object.keys(res.body).sort(), ['created_at', 'id', 'key', 'role']);
    const key = res.body.key as string;
    assert.match(key, /^te_[A-Za-z0-9_-]{32}$/);
    await withKey(key).get('/v1/skills').expect(200);
    assertError(await withKey(key).get('/v1/audit'), 'forbidden');

    const listed = (await t.as('admin').get('/v1/admin/keys').expect(200)).body.keys as Array<Record<string, unknown>>;
    assert.deepEqual(listed.find((k) => k.id === 'reader'), { id: 'reader', role: 'client', created_at: res.body.created_at, source: 'api' });
    assert.ok(listed.some((k) => k.id === 'admin-key' && k.source === 'config'), 'configured keys are listed too');
    assert.ok(!JSON.stringify(listed).includes(key), 'the list never shows a key');
    const stored = await readFile(path.join(t.dataDir, 'auth', 'api-keys.json'), 'utf8');
    assert.ok(!stored.includes(key), 'the key itself is not stored');
    const [audited] = await t.service.audit.query({ event: 'key.create' });
    assert.deepEqual([audited?.outcome, audited?.actor, audited?.details?.key_id], ['created', 'admin-key', 'reader']);
    assert.ok(!JSON.stringify(await t.service.audit.query({ limit: 1000 })).includes(key), 'the key is not in the audit log');
  });

  it('refuses a taken id (409), a bad role (400), and revoking a configured (409) or unknown (404) key, auditing each', async () => {
    assertError(await t.as('admin').post('/v1/admin/keys').send({ id: 'admin-key', role: 'client' }), 'conflict');
    assertError(await t.as('admin').post('/v1/admin/keys').send({ id: 'x', role: 'root' }), 'validation_failed');
    assertError(await supertest(t.service.app).delete('/v1/admin/keys/admin-key').set('Authorization', `Bearer ${t.keys.admin}`), 'conflict');
    assertError(await supertest(t.service.app).delete('/v1/admin/keys/nobody').set('Authorization', `Bearer ${t.keys.admin}`), 'not_found');
    const outcomes = [...await t.service.audit.query({ event: 'key.create' }), ...await t.service.audit.query({ event: 'key.revoke' })].map((e) => e.outcome);
    // The bad role never reaches the use case: the router refuses a body that breaks its contract first.
    for (const code of ['conflict', 'not_found']) assert.ok(outcomes.includes(code), `${code} audited`);
  });

  it('revokes a key: it fails at the very next request, and stays revoked after a restart', async () => {
    const { key } = (await t.as('admin').post('/v1/admin/keys').send({ id: 'short-lived', role: 'author' }).expect(201)).body as { key: string };
    const kept = (await t.as('admin').post('/v1/admin/keys').send({ id: 'kept', role: 'client' }).expect(201)).body.key as string;
    await withKey(key).get('/v1/skills').expect(200);
    const revoked = await supertest(t.service.app).delete('/v1/admin/keys/short-lived').set('Authorization', `Bearer ${t.keys.admin}`);
    assert.equal(revoked.status, 200, revoked.text);
    assertError(await withKey(key).get('/v1/skills'), 'unauthorized');

    await t.service.close();
    t.service = await createService(t.service.config, { logger: quietLogger });
    assertError(await withKey(key).get('/v1/skills'), 'unauthorized');
    await withKey(kept).get('/v1/skills').expect(200);
  });

  it('does the same from the command line against a running server', async () => {
    const server = await t.service.listen();
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const cli = (...args: string[]) => execFileAsync(process.execPath, [CLI, ...args], { env: { ...process.env, TOOL_EXECUTOR_URL: url, TOOL_EXECUTOR_KEY: t.keys.admin } });
    const created = await cli('keys', 'create', '--role', 'client', '--id', 'from-cli');
    const key = /^\s+(te_\S+)\s*$/m.exec(created.stdout)?.[1];
    assert.ok(key, created.stdout);
    await withKey(key).get('/v1/skills').expect(200);
    assert.match((await cli('keys', 'list')).stdout, /^from-cli\tclient\t\S+\tapi$/m);
    await cli('keys', 'revoke', 'from-cli');
    assertError(await withKey(key).get('/v1/skills'), 'unauthorized');
    await assert.rejects(cli('keys', 'revoke', 'from-cli'), (error: { code: number; stderr: string }) => error.code === 1 && /404 not_found/.test(error.stderr));
    await assert.rejects(cli('keys', 'create'), (error: { code: number; stderr: string }) => error.code === 2 && /--role/.test(error.stderr));
  });
});
