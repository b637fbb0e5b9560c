// Every SPEC route × every caller: no key, a wrong key, the Basic scheme (401), each role below the
// route's (403), at or above it (served). The service is the real one (createService). A SPEC route
// that is not mounted skips its role cases and fails the last test, which names it.
import assert from 'node:assert/strict';
import supertest from 'supertest';
import type { Role } from '../../server/src/auth/index.js';
import { hasRole } from '../../server/src/auth/index.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { assertError, isMissingRoute, ROLES, SPEC_ROUTES, type SpecRoute } from './support.js';

function send(t: TestService, route: SpecRoute, authorization?: string): supertest.Test {
  const agent = supertest(t.service.app);
  const request = route.method === 'GET' ? agent.get(route.url) : route.method === 'POST' ? agent.post(route.url) : route.method === 'DELETE' ? agent.delete(route.url) : agent.put(route.url);
  if (authorization !== undefined) request.set('Authorization', authorization);
  // An empty object: every body route refuses it (400) before doing anything.
  return route.method === 'GET' || route.method === 'DELETE' ? request : request.send({});
}

describe('role matrix: every SPEC route × no key, wrong key, Basic, client, author, admin', function () {
  let t: TestService;
  const missing = new Set<string>();
  const refusedRequestIds: string[] = [];

  before(async () => {
    t = await startTestService();
  });
  after(async () => {
    await t?.close();
  });

  const anonymous: Array<[string, (t: TestService) => string | undefined]> = [
    ['no key', () => undefined],
    ['a wrong key', () => 'Bearer wrong-key-0123456789'],
    ['the Basic scheme (even with the admin key)', (t) => `Basic ${Buffer.from(`admin:${t.keys.admin}`).toString('base64')}`],
  ];

  for (const route of SPEC_ROUTES) {
    describe(`${route.method} ${route.path} (${route.role})`, () => {
      for (const [name, header] of anonymous) {
        it(`${name}: ${route.role === 'public' ? 'served' : '401'}`, async () => {
          const res = await send(t, route, header(t));
          if (route.role === 'public') {
            assert.equal(res.status, 200, res.text.slice(0, 300));
            return;
          }
          assertError(res, 'unauthorized');
          refusedRequestIds.push(res.body.error.request_id);
        });
      }
      for (const role of ROLES) {
        const allowed = route.role === 'public' || hasRole({ id: role, role }, route.role);
        it(`${role}: ${allowed ? 'served' : '403'}`, async function () {
          const res = await send(t, route, `Bearer ${t.keys[role]}`);
          if (isMissingRoute(res)) {
            missing.add(`${route.method} ${route.path}`);
            this.skip();
          }
          if (!allowed) {
            assertError(res, 'forbidden');
            refusedRequestIds.push(res.body.error.request_id);
            return;
          }
          assert.ok(![401, 403].includes(res.status) && res.status < 500, `${role} on ${route.method} ${route.url}: ${res.status} ${res.text.slice(0, 300)}`);
        });
      }
    });
  }

  it('audited every refusal, with the key id where there was one and no key material', async () => {
    const res = await t.as('admin').get('/v1/audit?event=auth.refused&limit=1000').expect(200);
    const events = res.body.events as Array<{ request_id: string; outcome: string; actor: string | null }>;
    const audited = new Set(events.map((e) => e.request_id));
    for (const id of refusedRequestIds) assert.ok(audited.has(id), `refusal ${id} is in the audit log`);
    for (const event of events) assert.ok(event.outcome === 'forbidden' ? (event.actor ?? '').endsWith('-key') : event.actor === null);
    const text = JSON.stringify(events);
    for (const key of [...Object.values(t.keys), 'wrong-key-0123456789', Buffer.from(`admin:${t.keys.admin}`).toString('base64')]) {
      assert.ok(!text.includes(key), 'no key in the audit log');
    }
  });

  it('mounts every SPEC route (roles of the missing ones above were skipped)', () => {
    assert.deepEqual([...missing], [], `routes in SPEC §3 that answer "no route": ${[...missing].join(', ')}`);
  });

  it('lets config take a route out of the public ones: then it needs a key', async () => {
    const guarded = await startTestService({ server: { public_routes: ['/healthz'] } });
    try {
      await supertest(guarded.service.app).get('/healthz').expect(200);
      for (const path of ['/readyz', '/metrics', '/openapi.json']) {
        assertError(await supertest(guarded.service.app).get(path), 'unauthorized');
        const res = await guarded.as('client' as Role).get(path);
        assert.ok(res.status === 200 || (path === '/readyz' && res.status === 503), `${path}: ${res.status}`);
      }
    } finally {
      await guarded.close();
    }
  });
});
