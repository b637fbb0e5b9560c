// The HTTP front door on a test-only app (createHttpApp with small routes, no engine): keys and
// refusals, body limits and types, JSON bounds, headers, the error shape, and a bug's 500.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import express, { Router } from 'express';
import supertest from 'supertest';
import type { AuditEvent } from '../../server/src/audit/types.js';
import { Auditor } from '../../server/src/audit/index.js';
import { KeyRing, sha256Hex } from '../../server/src/auth/keys.js';
import { ConflictError } from '../../server/src/errors.js';
import type { ApiRoute } from '../../server/src/http/api.js';
import { createHttpApp } from '../../server/src/http/app.js';
import { answerClientErrors } from '../../server/src/http/errors.js';
import { AuthFailureLimiter, authenticate } from '../../server/src/http/authenticate.js';
import { MAX_JSON_DEPTH } from '../../server/src/http/body.js';
import { requireRole } from '../../server/src/http/roles.js';
import { assertError, memoryLogger } from './support.js';

const KEYS = { client: 'k-client-0123456789', admin: 'k-admin-0123456789' };
const LIMIT = 4096;

const TEST_API: ApiRoute[] = [
  { id: 'echo', method: 'POST', path: '/echo', access: 'client', summary: 'echo', body: { schema: 'none' }, ok: { 200: { description: 'echo' } }, errors: [] },
  { id: 'package', method: 'POST', path: '/package', access: 'client', summary: 'raw', body: { schema: 'none', raw: ['application/gzip'] }, ok: { 200: { description: 'size' } }, errors: [] },
  { id: 'boom', method: 'GET', path: '/boom', access: 'client', summary: 'a bug', ok: { 200: { description: 'never' } }, errors: [] },
  { id: 'adminOnly', method: 'GET', path: '/admin-only', access: 'admin', summary: 'admin', ok: { 200: { description: 'ok' } }, errors: [] },
  { id: 'open', method: 'GET', path: '/open', access: 'public', summary: 'public', ok: { 200: { description: 'ok' } }, errors: [] },
];

function testApp(authFailuresPerMinute = 1000) {
  const refused: AuditEvent[] = [];
  const { logger, lines } = memoryLogger();
  const router = Router();
  router.post('/echo', requireRole('client'), (req, res) => {
    res.json({ body: req.body as unknown, polluted: ({} as Record<string, unknown>).polluted ?? null });
  });
  router.post('/package', requireRole('client'), express.raw({ type: 'application/gzip', limit: LIMIT * 4 }), (req, res) => {
    res.json({ bytes: Buffer.isBuffer(req.body) ? req.body.length : null });
  });
  router.get('/boom', () => {
    throw new Error('a plain bug with a secret path /srv/internal');
  });
  router.get('/conflict', () => {
    throw new ConflictError('in the way');
  });
  router.get('/items/:id', (req, res) => {
    res.json({ id: req.params.id });
  });
  router.get('/admin-only', requireRole('admin'), (_req, res) => {
    res.json({ ok: true });
  });
  router.get('/open', (_req, res) => {
    res.json({ ok: true });
  });
  const app = createHttpApp({
    logger,
    bodyLimitBytes: LIMIT,
    authenticate: authenticate(new KeyRing([
      { id: 'c1', role: 'client', sha256: sha256Hex(KEYS.client) },
      { id: 'a1', role: 'admin', sha256: sha256Hex(KEYS.admin) },
    ]), new AuthFailureLimiter(authFailuresPerMinute)),
    publicPaths: ['/open'],
    routers: [router],
    auditor: new Auditor({ record: async (event) => { refused.push(event); }, writable: async () => true, onRecovered: () => undefined }),
    api: TEST_API,
  });
  return { app, agent: supertest(app), refused, lines };
}

const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });

/** Sends bytes as they are (no client fixing them up) to the app behind a real server; returns the answer. */
async function rawExchange(app: express.Express, request: string | Buffer): Promise<{ head: string; body: string }> {
  const server = http.createServer(app);
  answerClientErrors(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    const text = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1', () => socket.end(request));
      let received = '';
      socket.setEncoding('utf8').on('data', (chunk: string) => { received += chunk; });
      socket.once('close', () => resolve(received));
      socket.once('error', reject);
    });
    const split = text.indexOf('\r\n\r\n');
    return { head: text.slice(0, split), body: text.slice(split + 4) };
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

describe('HTTP front door (test app)', () => {
  describe('API keys', () => {
    it('accepts a configured key with Bearer, the scheme in any case', async () => {
      const { agent } = testApp();
      await agent.get('/admin-only').set(bearer(KEYS.admin)).expect(200);
      await agent.get('/admin-only').set('Authorization', `bearer ${KEYS.admin}`).expect(200);
    });

    for (const [name, header] of [
      ['no key', undefined],
      ['a wrong key', `Bearer not-a-key`],
      ['the Basic scheme', `Basic ${Buffer.from(`user:${KEYS.admin}`).toString('base64')}`],
      ['the key without a scheme', KEYS.admin],
      ['an empty bearer', 'Bearer '],
      ['a key with a space in it', `Bearer ${KEYS.admin} extra`],
      ['a key of 600 characters', `Bearer ${'x'.repeat(600)}`],
    ] as const) {
      it(`answers 401 to ${name}, and audits the refusal without the key`, async () => {
        const { agent, refused } = testApp();
        const request = agent.get('/admin-only');
        if (header !== undefined) request.set('Authorization', header);
        const res = await request;
        assertError(res, 'unauthorized');
        assert.equal(res.headers['www-authenticate'], 'Bearer');
        assert.equal(refused.length, 1);
        assert.equal(refused[0]!.event, 'auth.refused');
        assert.equal(refused[0]!.outcome, 'unauthorized');
        assert.equal(refused[0]!.actor, null);
        const recorded = JSON.stringify(refused[0]);
        assert.ok(!recorded.includes(KEYS.admin) && !recorded.includes('not-a-key') && !recorded.includes(Buffer.from(`user:${KEYS.admin}`).toString('base64')), recorded);
      });
    }

    it('answers 403 to a role too low, and audits it with the key id', async () => {
      const { agent, refused } = testApp();
      assertError(await agent.get('/admin-only').set(bearer(KEYS.client)), 'forbidden');
      assert.deepEqual(refused.map((e) => [e.event, e.outcome, e.actor]), [['auth.refused', 'forbidden', 'c1']]);
    });

    it('serves public paths without a key, and nothing else', async () => {
      const { agent, refused } = testApp();
      await agent.get('/open').expect(200);
      assertError(await agent.get('/open/'), 'unauthorized');
      assertError(await agent.get('/OPEN'), 'unauthorized');
      assert.equal(refused.length, 2);
    });

    it('answers 429 to an address past its failed authentications, even with a good key, and audits the first 429 only', async () => {
      const { agent, refused } = testApp(3);
      for (let i = 0; i < 3; i += 1) assertError(await agent.get('/admin-only').set(bearer(`guess-${i}`)), 'unauthorized');
      const throttled = await agent.get('/admin-only').set(bearer(KEYS.admin));
      assertError(throttled, 'overloaded');
      assert.ok(Number(throttled.headers['retry-after']) >= 1 && Number(throttled.headers['retry-after']) <= 60, 'Retry-After within the minute');
      assertError(await agent.get('/admin-only').set(bearer('guess-4')), 'overloaded');
      assert.deepEqual(refused.map((e) => e.outcome), ['unauthorized', 'unauthorized', 'unauthorized', 'overloaded']);
      assert.equal(refused[3]!.details?.reason, 'too many failed authentications');
    });

    it('checks the key before it reads a body or says whether a route exists', async () => {
      const { agent } = testApp();
      assertError(await agent.post('/echo').type('text/plain').send('x'), 'unauthorized');
      assertError(await agent.get('/no/such/route'), 'unauthorized');
    });
  });

  describe('request bodies', () => {
    const post = (agent: supertest.Agent | ReturnType<typeof supertest>) => agent.post('/echo').set(bearer(KEYS.client));

    it('takes a JSON object', async () => {
      const { agent } = testApp();
      const res = await post(agent).send({ a: [1, { b: 'c' }] }).expect(200);
      assert.deepEqual(res.body.body, { a: [1, { b: 'c' }] });
    });

    it('refuses a body over the limit with 413, declared or streamed', async () => {
      const { agent } = testApp();
      assertError(await post(agent).send({ text: 'x'.repeat(LIMIT) }), 'payload_too_large');
      const chunked = post(agent).type('json').set('Transfer-Encoding', 'chunked');
      chunked.write(`{"text": "${'y'.repeat(LIMIT)}`);
      chunked.write('"}');
      assertError(await chunked, 'payload_too_large');
    });

    for (const [name, type, body] of [
      ['text/plain', 'text/plain', '{"a": 1}'],
      ['urlencoded', 'application/x-www-form-urlencoded', 'a=1&b=2'],
      ['multipart', 'multipart/form-data; boundary=x', '--x\r\n\r\n--x--'],
      ['charset=latin1', 'application/json; charset=latin1', '{"a": 1}'],
      ['charset=utf-16', 'application/json; charset=utf-16', '{"a": 1}'],
      ['a malformed Content-Type', 'json', '{"a": 1}'],
      ['a *+json type', 'application/merge-patch+json', '{"a": 1}'],
      ['gzip on a JSON-only route', 'application/gzip', 'xx'],
    ] as const) {
      it(`refuses ${name} with 415`, async () => {
        const { agent } = testApp();
        assertError(await post(agent).set('Content-Type', type).send(body), 'unsupported_media_type');
      });
    }

    it('refuses a body without a Content-Type with 415', async () => {
      const { app } = testApp();
      const answer = await rawExchange(app, `POST /echo HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${KEYS.client}\r\nContent-Length: 8\r\nConnection: close\r\n\r\n{"a": 1}`);
      assert.match(answer.head, /^HTTP\/1.1 415 /);
      assert.equal(JSON.parse(answer.body).error.code, 'unsupported_media_type');
    });

    for (const encoding of ['gzip', 'deflate', 'br']) {
      it(`refuses a ${encoding}-compressed body with 415 instead of inflating it`, async () => {
        const { app } = testApp();
        const body = { gzip: gzipSync, deflate: deflateSync, br: brotliCompressSync }[encoding]!(JSON.stringify({ a: 1 }));
        const head = `POST /echo HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${KEYS.client}\r\nContent-Type: application/json\r\n`
          + `Content-Encoding: ${encoding}\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`;
        const answer = await rawExchange(app, Buffer.concat([Buffer.from(head), body]));
        assert.match(answer.head, /^HTTP\/1.1 415 /);
        assert.equal(JSON.parse(answer.body).error.code, 'unsupported_media_type');
      });
    }

    it('leaves a raw body to the route that lists its type, and that route\'s own limit', async () => {
      const { agent } = testApp();
      const res = await agent.post('/package').set(bearer(KEYS.client)).type('application/gzip').send(Buffer.alloc(LIMIT * 2, 1)).expect(200);
      assert.equal(res.body.bytes, LIMIT * 2);
    });

    for (const [name, text] of [
      ['invalid JSON', '{"a": '],
      ['a JSON string', '"just a string"'],
      ['a JSON array', '[1, 2]'],
      ['JSON null', 'null'],
      ['a number', '42'],
      ['trailing garbage', '{"a": 1} x'],
      ['a lone surrogate escape', '{"a": "\\ud800"'],
      [`nesting of ${MAX_JSON_DEPTH + 1} levels`, `{"a": ${'['.repeat(MAX_JSON_DEPTH)}${']'.repeat(MAX_JSON_DEPTH)}}`],
      ['nesting of 100 000 levels', `{"a": ${'['.repeat(100_000)}`.slice(0, LIMIT - 2) + '}'],
      ['a __proto__ key', '{"__proto__": {"polluted": true}}'],
      ['a nested __proto__ key', '{"input": [{"x": {"__proto__": {"polluted": true}}}]}'],
    ] as const) {
      it(`refuses ${name} with 400`, async () => {
        const { agent } = testApp();
        const res = await post(agent).type('json').send(text);
        assertError(res, 'validation_failed');
        assert.equal(({} as Record<string, unknown>).polluted, undefined);
      });
    }

    it(`takes nesting of exactly ${MAX_JSON_DEPTH} levels`, async () => {
      const { agent } = testApp();
      const inner = MAX_JSON_DEPTH - 1;
      await post(agent).type('json').send(`{"a": ${'['.repeat(inner)}${']'.repeat(inner)}}`).expect(200);
    });

    it('keeps constructor and prototype keys as plain data, polluting nothing', async () => {
      const { agent } = testApp();
      const body = { constructor: { prototype: { polluted: true } }, prototype: { polluted: true } };
      const res = await post(agent).send(body).expect(200);
      assert.deepEqual(res.body, { body, polluted: null });
      assert.equal(({} as Record<string, unknown>).polluted, undefined);
    });

    it('ignores a UTF-8 byte order mark', async () => {
      const { agent } = testApp();
      const res = await post(agent).type('json').send('\uFEFF{"a": 1}').expect(200);
      assert.deepEqual(res.body.body, { a: 1 });
    });

    it('reads an empty JSON body as {}', async () => {
      const { agent } = testApp();
      const res = await post(agent).type('json').send('').expect(200);
      assert.deepEqual(res.body.body, {});
    });
  });

  describe('answers', () => {
    it('turns a plain Error into 500 internal, with the stack in the log and not in the answer', async () => {
      const { agent, lines } = testApp();
      const res = await agent.get('/boom').set(bearer(KEYS.client));
      assertError(res, 'internal');
      assert.ok(!res.text.includes('/srv/internal') && !res.text.includes('plain bug'));
      const logged = lines.find((line) => line.includes('unhandled error'));
      assert.ok(logged?.includes(res.body.error.request_id) && logged.includes('a plain bug'), 'the log has the request id and the error');
    });

    it('renders an AppError with its code and status', async () => {
      const { agent } = testApp();
      assertError(await agent.get('/conflict').set(bearer(KEYS.client)), 'conflict');
    });

    it('answers an unknown path 404, and a known path with another method 405 naming the methods', async () => {
      const { agent } = testApp();
      assertError(await agent.get('/nowhere').set(bearer(KEYS.client)), 'not_found');
      const res = await agent.delete('/echo').set(bearer(KEYS.client));
      assertError(res, 'method_not_allowed');
      assert.deepEqual(res.body.error.details.allow, ['POST']);
      assert.equal(res.headers.allow, 'POST');
    });

    it('answers a path parameter that is not valid percent-encoding 400', async () => {
      const { agent } = testApp();
      assertError(await agent.get('/items/%E0%A4%A').set(bearer(KEYS.client)), 'validation_failed');
    });

    it('answers headers over the limit 413 in the same shape, before express sees them', async () => {
      const { app } = testApp();
      const answer = await rawExchange(app, `GET /open HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(20_000)}\r\n\r\n`);
      assert.match(answer.head, /^HTTP\/1.1 413 /);
      assert.match(answer.head, /X-Request-Id: [0-9a-f-]{36}/);
      assert.equal(JSON.parse(answer.body).error.code, 'payload_too_large');
    });

    it('answers bytes that are not HTTP 400 in the same shape', async () => {
      const { app } = testApp();
      const answer = await rawExchange(app, 'HELLO THERE\r\n\r\n');
      assert.match(answer.head, /^HTTP\/1.1 400 /);
      assert.equal(JSON.parse(answer.body).error.code, 'validation_failed');
    });

    it('sends security headers, no cache, no framework banner', async () => {
      const { agent } = testApp();
      for (const res of [await agent.get('/open'), await agent.get('/admin-only')]) {
        assert.equal(res.headers['content-security-policy'], "default-src 'none';frame-ancestors 'none'");
        assert.equal(res.headers['x-content-type-options'], 'nosniff');
        assert.equal(res.headers['cache-control'], 'no-store');
        assert.equal(res.headers['x-powered-by'], undefined);
        assert.match(res.headers['x-request-id'] ?? '', /^[0-9a-f-]{36}$/);
      }
    });

    it('logs requests with their route and key id, never the key or the body', async () => {
      const { agent, lines } = testApp();
      await agent.post('/echo').set(bearer(KEYS.client)).send({ secret_input: 'SECRET-INPUT-42' }).expect(200);
      await agent.get('/admin-only').set(bearer(KEYS.admin)).expect(200);
      await agent.get('/admin-only').set('Authorization', 'Bearer WRONG-KEY-SECRET');
      const log = lines.join('');
      assert.ok(log.includes('"route":"/echo"') && log.includes('"actor":"c1"'), log);
      for (const secret of [KEYS.client, KEYS.admin, 'SECRET-INPUT-42', 'WRONG-KEY-SECRET']) assert.ok(!log.includes(secret), `the log holds ${secret}`);
    });
  });
});
