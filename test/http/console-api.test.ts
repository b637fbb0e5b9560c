// The API pieces the console (/ui) reads: GET /v1/me, GET /v1/admin/status, the audit filters actor,
// until and before, GET /v1/audit/verify, and /ui itself (static, without a key, its own CSP).
import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import supertest from 'supertest';
import { assertNoContainersLeft } from '../helpers/docker.js';
import { contracts, startTestService, type TestService } from '../helpers/service.js';
import { assertError } from './support.js';

describe('API for the console', function () {
  let t: TestService;

  before(async function () {
    t = await startTestService();
  });

  after(async function () {
    await t.close();
    await assertNoContainersLeft(t.dataDir);
  });

  it('GET /v1/me names the key in use and its role', async function () {
    assert.deepEqual(contracts.assert('key_identity.json', (await t.as('client').get('/v1/me').expect(200)).body), { id: 'client-key', role: 'client' });
    assert.deepEqual((await t.as('admin').get('/v1/me').expect(200)).body, { id: 'admin-key', role: 'admin' });
  });

  it('GET /v1/admin/status tells the engine, runtime, pool and queue', async function () {
    // The engine's ping gives up after 3 s: on a loaded engine one may, so the answer gets three tries.
    let body = (await t.as('admin').get('/v1/admin/status').expect(200)).body;
    for (let attempt = 1; attempt < 3 && !body.engine.reachable; attempt++) body = (await t.as('admin').get('/v1/admin/status').expect(200)).body;
    contracts.assert('service_status.json', body);
    assert.deepEqual(body.engine, { reachable: true, image_present: true, runtime: t.service.engine.runtimeInForce(), image: t.service.config.sandbox.image });
    assert.equal(body.pool.size, t.service.config.sandbox.pool.size);
    assert.ok(body.pool.ready + body.pool.starting <= body.pool.size);
    assert.deepEqual(body.queue, { running: 0, waiting: 0, concurrency: t.service.policy.limits.concurrency, queue: t.service.policy.limits.queue });
  });

  it('filters audit events by actor and until, and pages them with before', async function () {
    for (const role of ['client', 'author', 'client', 'author', 'client'] as const) await t.as(role).get('/v1/admin/limits').expect(403);
    const all = (await t.as('admin').get('/v1/audit?event=auth.refused').expect(200)).body.events as Array<{ seq: number; actor: string; time: string }>;
    assert.equal(all.length, 5);
    const byClient = (await t.as('admin').get('/v1/audit?event=auth.refused&actor=client-key').expect(200)).body.events;
    assert.deepEqual(byClient.map((e: { actor: string }) => e.actor), ['client-key', 'client-key', 'client-key']);

    const firstPage = (await t.as('admin').get('/v1/audit?limit=2').expect(200)).body.events as Array<{ seq: number }>;
    const secondPage = (await t.as('admin').get(`/v1/audit?limit=2&before=${firstPage[1]!.seq}`).expect(200)).body.events as Array<{ seq: number }>;
    assert.ok(secondPage.length > 0);
    assert.ok(secondPage.every((e) => e.seq < firstPage[1]!.seq), 'the next page holds only older events');
    assert.equal(secondPage[0]!.seq, firstPage[1]!.seq - 1);

    const older = all[1]!;
    const untilOlder = (await t.as('admin').get(`/v1/audit?event=auth.refused&until=${encodeURIComponent(older.time)}`).expect(200)).body.events;
    assert.ok(untilOlder.every((e: { time: string }) => e.time <= older.time) && untilOlder.some((e: { seq: number }) => e.seq === older.seq));
    assert.deepEqual((await t.as('admin').get('/v1/audit?until=2000-01-01').expect(200)).body.events, []);

    assertError(await t.as('admin').get('/v1/audit?before=0'), 'validation_failed');
    assertError(await t.as('admin').get('/v1/audit?until=tomorrow'), 'validation_failed');
  });

  it('GET /v1/audit/verify reports an intact chain, then the first edited line by file name', async function () {
    const intact = contracts.assert('audit_verification.json', (await t.as('admin').get('/v1/audit/verify').expect(200)).body);
    assert.equal(intact.ok, true);
    assert.ok(intact.entries > 0);
    assert.equal(intact.failure, null);

    const dir = path.join(t.dataDir, 'audit');
    const [file] = (await readdir(dir)).filter((name) => name.endsWith('.log')).sort();
    const lines = (await readFile(path.join(dir, file!), 'utf8')).split('\n');
    lines[2] = lines[2]!.replace('"auth.refused"', '"auth.refusex"');
    await writeFile(path.join(dir, file!), lines.join('\n'));
    const broken = contracts.assert('audit_verification.json', (await t.as('admin').get('/v1/audit/verify').expect(200)).body);
    assert.equal(broken.ok, false);
    assert.ok(broken.failure, 'a broken chain names its first bad line');
    assert.deepEqual({ file: broken.failure.file, line: broken.failure.line, kind: broken.failure.kind }, { file, line: 3, kind: 'hash_mismatch' });
  });

  it('serves /ui without a key, with a CSP that allows this origin\'s scripts only', async function () {
    const page = await supertest(t.service.app).get('/ui').expect(200);
    assert.match(page.headers['content-type'] ?? '', /text\/html/);
    const csp = page.headers['content-security-policy'] ?? '';
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'self'/);
    assert.match(csp, /connect-src 'self'/);
    assert.doesNotMatch(csp, /unsafe/);
    assert.equal((await supertest(t.service.app).get('/ui/').expect(200)).text, page.text);
    const script = await supertest(t.service.app).get('/ui/assets/console.js').expect(200);
    assert.match(script.headers['content-type'] ?? '', /javascript/);
    assertError(await supertest(t.service.app).get('/ui/assets/none.js'), 'not_found');
    assertError(await supertest(t.service.app).get('/ui/../package.json'), 'not_found');
    // The API keeps its own, stricter policy.
    assert.equal((await supertest(t.service.app).get('/healthz')).headers['content-security-policy'], "default-src 'none';frame-ancestors 'none'");
  });
});
