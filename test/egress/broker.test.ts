// The broker on its own, against two HTTP servers on 127.0.0.1: one whose origin the run was
// approved for, one it was not. A real audit log records every request.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Auditor, createAuditLog, type AuditEntry, type AuditLog } from '../../server/src/audit/index.js';
import { EgressBroker, type EgressConfig, type EgressSession, type EgressReply, type EgressRun } from '../../server/src/egress/index.js';
import { AUDIT_FIELDS, removeDir, tempDataDir } from '../audit/helpers.js';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** A server that answers by path: /hello, /echo (the request back as JSON), /redirect?to=…, /big, /slow. */
async function testServer(seen: Seen[]): Promise<{ server: Server; origin: string }> {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const body = Buffer.concat(chunks).toString();
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      if (url.pathname === '/redirect') {
        res.writeHead(Number(url.searchParams.get('status') ?? 302), { location: url.searchParams.get('to') ?? '/hello' }).end();
      } else if (url.pathname === '/big') {
        res.end(Buffer.alloc(64 * 1024, 'x'));
      } else if (url.pathname === '/slow') {
        setTimeout(() => res.end('late'), 2000);
      } else if (url.pathname === '/echo') {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ method: req.method, body }));
      } else {
        res.setHeader('x-served-by', 'test');
        res.end('hello');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

const BUDGETS = { max_requests: 20, max_bytes: 1024 * 1024, timeout_ms: 5000 };

describe('egress broker', () => {
  let dataDir: string;
  let audit: AuditLog;
  const allowedSeen: Seen[] = [];
  const otherSeen: Seen[] = [];
  let allowed: { server: Server; origin: string };
  let other: { server: Server; origin: string };
  const brokers: EgressBroker[] = [];
  const sessions: EgressSession[] = [];

  before(async () => {
    dataDir = await tempDataDir();
    audit = await createAuditLog({ dataDir, rotateBytes: 64 * 1024 * 1024 });
    allowed = await testServer(allowedSeen);
    other = await testServer(otherSeen);
  });

  after(async () => {
    for (const broker of brokers) await broker.close();
    await audit.close();
    for (const { server } of [allowed, other]) await new Promise((resolve) => server.close(resolve));
    await removeDir(dataDir);
  });

  beforeEach(() => {
    allowedSeen.length = 0;
    otherSeen.length = 0;
  });

  function broker(config: Partial<EgressConfig> = {}): EgressBroker {
    const made = new EgressBroker({ config: { allow_cidrs: ['127.0.0.0/8'], secrets: [], ...BUDGETS, ...config }, auditor: new Auditor(audit) });
    brokers.push(made);
    // Sessions write their audit lines in the background; egressEvents waits for them as a run does.
    const open = made.session.bind(made);
    made.session = (r) => {
      const session = open(r);
      sessions.push(session);
      return session;
    };
    return made;
  }

  let runs = 0;
  function run(origins: string[]): EgressRun {
    runs += 1;
    return { runId: `run-${runs}`, requestId: `req-${runs}`, actor: 'tester', skill: 'fetcher', version: '1.0.0', origins };
  }

  async function egressEvents(runId: string): Promise<AuditEntry[]> {
    await Promise.all(sessions.map((session) => session.close()));
    return (await audit.query({ event: 'egress', limit: 1000 })).filter((e) => e.details?.run_id === runId).reverse();
  }

  /** Exactly one line for the run, with the fields every audit line has, its outcome the hop's. */
  function assertOneStandardLine(events: AuditEntry[], made: EgressRun, outcome: string): AuditEntry {
    assert.equal(events.length, 1, JSON.stringify(events));
    const event = events[0]!;
    assert.deepEqual(Object.keys(event).sort(), AUDIT_FIELDS);
    assert.deepEqual([event.event, event.actor, event.request_id, event.skill, event.version, event.outcome], ['egress', made.actor, made.requestId, made.skill, made.version, outcome]);
    assert.equal(typeof event.duration_ms, 'number');
    return event;
  }

  function refusal(reply: EgressReply): { kind: string; message: string } {
    assert.equal(reply.ok, false, 'the request was expected to be refused');
    return (reply as Extract<EgressReply, { ok: false }>).error;
  }

  it('fetches from an approved origin and audits the request without its query', async () => {
    const made = run([allowed.origin]);
    const session = broker().session(made);
    const reply = await session.request({ method: 'GET', url: `${allowed.origin}/hello?token=abc` });
    assert.ok(reply.ok);
    assert.equal(reply.status, 200);
    assert.equal(reply.body.toString(), 'hello');
    assert.equal(reply.headers['x-served-by'], 'test');
    const event = assertOneStandardLine(await egressEvents(made.runId), made, 'ok');
    assert.deepEqual({ ...event.details }, {
      run_id: made.runId, method: 'GET', scheme: 'http', host: '127.0.0.1', port: Number(new URL(allowed.origin).port),
      path: '/hello', status: 200, bytes_out: 0, bytes_in: 5, reason: null,
    });
  });

  it('refuses an origin that was not approved, naming it, and sends nothing there', async () => {
    const made = run([allowed.origin]);
    const error = refusal(await broker().session(made).request({ method: 'GET', url: `${other.origin}/hello` }));
    assert.equal(error.kind, 'refused');
    assert.match(error.message, new RegExp(`${other.origin} is not among the origins approved`));
    assert.equal(otherSeen.length, 0);
    const event = assertOneStandardLine(await egressEvents(made.runId), made, 'refused');
    assert.match(String(event.details?.reason), /not among the origins approved/);
  });

  it('refuses every request of a skill with no approved origin', async () => {
    const error = refusal(await broker().session(run([])).request({ method: 'GET', url: `${allowed.origin}/hello` }));
    assert.match(error.message, /has no network origin approved by an admin/);
    assert.equal(allowedSeen.length, 0);
  });

  it('checks each redirect hop: one to the other server is refused before it is sent', async () => {
    const made = run([allowed.origin]);
    const session = broker().session(made);
    const within = await session.request({ method: 'GET', url: `${allowed.origin}/redirect?to=/hello` });
    assert.ok(within.ok);
    assert.equal(within.body.toString(), 'hello');
    const error = refusal(await session.request({ method: 'GET', url: `${allowed.origin}/redirect?to=${encodeURIComponent(`${other.origin}/hello`)}` }));
    assert.match(error.message, /is not among the origins approved/);
    assert.equal(otherSeen.length, 0);
    assert.deepEqual((await egressEvents(made.runId)).map((e) => `${String(e.details?.path)} ${e.outcome}`), ['/redirect ok', '/hello ok', '/redirect ok', '/hello refused']);
  });

  it('turns a POST redirected with 303 into a GET without body', async () => {
    const session = broker().session(run([allowed.origin]));
    const reply = await session.request({ method: 'POST', url: `${allowed.origin}/redirect?status=303&to=/echo`, body: Buffer.from('data') });
    assert.ok(reply.ok);
    assert.deepEqual(JSON.parse(reply.body.toString()), { method: 'GET', body: '' });
  });

  it('refuses loopback, private, link-local (metadata) and CGNAT addresses unless allow_cidrs opens them', async () => {
    const closed = broker({ allow_cidrs: [] });
    const origins = ['http://127.0.0.1:9', 'http://10.0.0.1', 'http://169.254.169.254', 'http://100.64.0.1', 'http://192.168.1.1', 'http://[::1]:9', 'http://[fd00::1]', 'http://[::ffff:127.0.0.1]:9', 'http://0.0.0.0:9'];
    for (const origin of origins) {
      const error = refusal(await closed.session(run([origin])).request({ method: 'GET', url: `${origin}/` }));
      assert.equal(error.kind, 'refused', origin);
      assert.match(error.message, /range, which egress\.allow_cidrs does not open/, origin);
    }
    const error = refusal(await closed.session(run([allowed.origin])).request({ method: 'GET', url: `${allowed.origin}/hello` }));
    assert.match(error.message, /127\.0\.0\.1 is in a loopback range/);
    assert.equal(allowedSeen.length, 0);
  });

  it('refuses a name that resolves to a refused address: the broker resolves and checks it itself', async () => {
    const port = new URL(allowed.origin).port;
    const error = refusal(await broker({ allow_cidrs: [] }).session(run([`http://localhost:${port}`])).request({ method: 'GET', url: `http://localhost:${port}/hello` }));
    assert.equal(error.kind, 'refused');
    assert.match(error.message, /localhost resolves to .* loopback range/);
    assert.equal(allowedSeen.length, 0);
    const opened = await broker().session(run([`http://localhost:${port}`])).request({ method: 'GET', url: `http://localhost:${port}/hello` });
    assert.ok(opened.ok, JSON.stringify(opened));
  });

  it('matches a *. origin on subdomains only, and the port as written', async () => {
    const session = broker({ allow_cidrs: [] }).session(run(['https://*.example.org']));
    assert.match(refusal(await session.request({ method: 'GET', url: 'https://example.org/' })).message, /not among the origins approved/);
    assert.match(refusal(await session.request({ method: 'GET', url: 'https://a.example.org:8443/' })).message, /not among the origins approved/);
    assert.match(refusal(await session.request({ method: 'GET', url: 'http://a.example.org/' })).message, /not among the origins approved/);
  });

  it('adds the configured secret header for its origin; the skill cannot set or see it', async () => {
    const secret = { origin: allowed.origin, header: 'X-Api-Key', value: 'sk-test-123' };
    const session = broker({ secrets: [secret] }).session(run([allowed.origin, other.origin]));
    const reply = await session.request({ method: 'GET', url: `${allowed.origin}/hello`, headers: { 'X-Api-Key': 'forged' } });
    assert.ok(reply.ok);
    assert.equal(allowedSeen[0]?.headers['x-api-key'], 'sk-test-123');
    assert.ok(!JSON.stringify(reply).includes('sk-test-123'));
    await session.request({ method: 'GET', url: `${other.origin}/hello` });
    assert.equal(otherSeen[0]?.headers['x-api-key'], undefined, 'the secret goes to its own origin only');
    await session.close();
    const events = await audit.query({ event: 'egress', limit: 1000 });
    assert.ok(!JSON.stringify(events).includes('sk-test-123'));
  });

  it('ends a greedy run at its request budget, redirects and refusals counted', async () => {
    const made = run([allowed.origin]);
    const session = broker({ max_requests: 3 }).session(made);
    for (let i = 0; i < 3; i++) assert.ok((await session.request({ method: 'GET', url: `${allowed.origin}/hello` })).ok);
    const error = refusal(await session.request({ method: 'GET', url: `${allowed.origin}/hello` }));
    assert.equal(error.kind, 'budget');
    assert.match(error.message, /budget of 3 requests \(egress\.max_requests\) is spent/);
    assert.equal(allowedSeen.length, 3);
    assert.equal((await egressEvents(made.runId)).at(-1)?.outcome, 'budget');
  });

  it('ends a run at its byte budget, out and in', async () => {
    const session = broker({ max_bytes: 100 * 1024 }).session(run([allowed.origin]));
    assert.ok((await session.request({ method: 'GET', url: `${allowed.origin}/big` })).ok);
    const error = refusal(await session.request({ method: 'GET', url: `${allowed.origin}/big` }));
    assert.equal(error.kind, 'budget');
    assert.match(error.message, /budget of 102400 bytes/);
    const out = refusal(await broker({ max_bytes: 10 }).session(run([allowed.origin])).request({ method: 'POST', url: `${allowed.origin}/echo`, body: Buffer.alloc(11) }));
    assert.equal(out.kind, 'budget');
  });

  it('times a slow request out at egress.timeout_ms, or sooner when the skill asks', async () => {
    const session = broker({ timeout_ms: 300 }).session(run([allowed.origin]));
    const error = refusal(await session.request({ method: 'GET', url: `${allowed.origin}/slow`, timeout_ms: 60000 }));
    assert.equal(error.kind, 'timeout');
    assert.match(error.message, /took longer than 300 ms/);
  });

  it('stops a request still under way when the run ends, and audits it', async () => {
    const made = run([allowed.origin]);
    const session = broker().session(made);
    const slow = session.request({ method: 'GET', url: `${allowed.origin}/slow` });
    await new Promise((resolve) => setTimeout(resolve, 100));
    await session.close();
    const error = refusal(await slow);
    assert.equal(error.kind, 'connection');
    assert.match(error.message, /the run has ended/);
    assert.match(refusal(await session.request({ method: 'GET', url: `${allowed.origin}/hello` })).message, /the run has ended/);
    assert.deepEqual((await egressEvents(made.runId)).map((e) => e.outcome), ['connection', 'connection']);
  });

  it('refuses what the broker owns or cannot send: reserved headers, odd methods, other schemes; each is audited', async () => {
    const made = run([allowed.origin]);
    const session = broker().session(made);
    assert.equal(refusal(await session.request({ method: 'GET', url: `${allowed.origin}/`, headers: { 'X-Split': 'a\r\nInjected: b' } })).kind, 'invalid');
    assert.match(refusal(await session.request({ method: 'GET', url: `${allowed.origin}/`, headers: { Host: 'evil' } })).message, /header Host is set by the broker/);
    assert.equal(refusal(await session.request({ method: 'CONNECT', url: `${allowed.origin}/` })).kind, 'invalid');
    assert.equal(refusal(await session.request({ method: 'GET', url: 'file:///etc/passwd' })).kind, 'refused');
    assert.equal(refusal(await session.request({ method: 'GET', url: 'not a url' })).kind, 'invalid');
    assert.deepEqual((await egressEvents(made.runId)).map((e) => e.outcome), ['invalid', 'invalid', 'invalid', 'refused', 'invalid']);
  });

  it('refuses every later request of a run once an audit line cannot be written, and the run learns it', async () => {
    const failing = new EgressBroker({
      config: { allow_cidrs: ['127.0.0.0/8'], secrets: [], ...BUDGETS },
      auditor: new Auditor({ record: async () => { throw new Error('disk full'); }, writable: async () => false, onRecovered: () => undefined }),
    });
    brokers.push(failing);
    const session = failing.session(run([allowed.origin]));
    assert.ok((await session.request({ method: 'GET', url: `${allowed.origin}/hello` })).ok);
    await new Promise((resolve) => setImmediate(resolve));
    const error = refusal(await session.request({ method: 'GET', url: `${allowed.origin}/hello` }));
    assert.match(error.message, /the audit log cannot be written/);
    assert.equal(allowedSeen.length, 1);
    await assert.rejects(session.close(), /disk full/);
  });

  it('reports a connection that fails as a connection error', async () => {
    const closedPort = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const { port } = s.address() as AddressInfo;
        s.close(() => resolve(port));
      });
    });
    const origin = `http://127.0.0.1:${closedPort}`;
    const error = refusal(await broker().session(run([origin])).request({ method: 'GET', url: `${origin}/` }));
    assert.equal(error.kind, 'connection');
    assert.match(error.message, /ECONNREFUSED/);
  });
});
