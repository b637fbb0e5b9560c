// The `net` module end to end, against the real engine: skills in network-less containers reach two
// HTTP servers on 127.0.0.1 only through the broker, only where an admin approved the origin.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { assertNoContainersLeft, TEST_RUNTIME } from '../helpers/docker.js';
import { startTestService, type TestService } from '../helpers/service.js';

const SECRET = 'sk-live-only-the-broker-knows';

interface Seen {
  url: string;
  headers: IncomingMessage['headers'];
}

async function testServer(seen: Seen[]): Promise<{ server: Server; origin: string }> {
  const server = createServer((req, res) => {
    seen.push({ url: req.url ?? '', headers: req.headers });
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/redirect') {
      res.writeHead(302, { location: url.searchParams.get('to') ?? '/' }).end();
      return;
    }
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ path: url.pathname, greeting: 'hello from the allowed server' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

const FETCH = `
import net

def run(inp):
    try:
        r = net.request(inp.get("method", "GET"), inp["url"], headers=inp.get("headers"))
    except net.NetError as error:
        return {"error": type(error).__name__, "message": str(error), "is_net_error": isinstance(error, net.NetError)}
    return {"status": r.status, "json": r.json(), "headers": r.headers, "text": r.text()}
`;

const GREEDY = `
import net

def run(inp):
    for i in range(1000):
        net.get(inp["url"])
    return {"requests": 1000}
`;

function skill(name: string, code: string, network?: string[]): Record<string, unknown> {
  return {
    name, version: '1.0.0', description: 'calls an API through net', runtime: 'python3', entrypoint: 'main.py', handler: 'run', code,
    ...(network ? { permissions: { network } } : {}),
  };
}

describe('the net module through the broker (real engine)', function () {
  let t: TestService;
  const allowedSeen: Seen[] = [];
  const otherSeen: Seen[] = [];
  let allowed: { server: Server; origin: string };
  let other: { server: Server; origin: string };

  before(async function () {
    allowed = await testServer(allowedSeen);
    other = await testServer(otherSeen);
    t = await startTestService({
      sandbox: { runtime: TEST_RUNTIME },
      egress: { allow_cidrs: ['127.0.0.0/8'], secrets: [{ origin: allowed.origin, header: 'X-Api-Key', value: SECRET }], max_requests: 5 },
    });
    // The approved skill: created, escalated for its origin, approved by an admin with exactly that list.
    const created = await t.as('author').post('/v1/skills/create').send(skill('fetcher', FETCH, [allowed.origin, 'http://10.0.0.1', 'http://169.254.169.254']));
    assert.equal(created.status, 202, JSON.stringify(created.body));
    const approved = await t.as('admin').post('/v1/reviews/fetcher@1.0.0/approve').send({});
    assert.equal(approved.status, 200, JSON.stringify(approved.body));
  });

  after(async function () {
    await t.close();
    await assertNoContainersLeft(t.dataDir);
    for (const { server } of [allowed, other]) await new Promise((resolve) => server.close(resolve));
  });

  beforeEach(() => {
    allowedSeen.length = 0;
    otherSeen.length = 0;
  });

  async function run(name: string, input: unknown): Promise<Record<string, unknown>> {
    const response = await t.as('client').post('/v1/skills/run').send({ skill: name, input });
    assert.equal(response.status, 200, JSON.stringify(response.body));
    return response.body as Record<string, unknown>;
  }

  async function fetchResult(url: string, extra: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    const body = await run('fetcher', { url, ...extra });
    assert.equal(body.status, 'succeeded', JSON.stringify(body));
    return body.result as Record<string, unknown>;
  }

  it('an approved skill fetches from the allowed server, with the injected secret it cannot read back', async function () {
    const result = await fetchResult(`${allowed.origin}/items?page=2`, { headers: { 'X-Api-Key': 'forged by the skill' } });
    assert.equal(result.status, 200);
    assert.deepEqual(result.json, { path: '/items', greeting: 'hello from the allowed server' });
    assert.equal(allowedSeen.length, 1);
    assert.equal(allowedSeen[0]?.headers['x-api-key'], SECRET);
    assert.ok(!JSON.stringify(result).includes(SECRET), 'nothing the skill got back holds the secret');
  });

  it('refuses the other server, a redirect that leads there, and private addresses, with NetError subclasses', async function () {
    const direct = await fetchResult(`${other.origin}/`);
    assert.equal(direct.error, 'RefusedError');
    assert.equal(direct.is_net_error, true);
    assert.match(String(direct.message), new RegExp(`${other.origin} is not among the origins approved for fetcher@1.0.0`));
    const redirected = await fetchResult(`${allowed.origin}/redirect?to=${encodeURIComponent(`${other.origin}/`)}`);
    assert.equal(redirected.error, 'RefusedError');
    assert.equal(otherSeen.length, 0, 'nothing reached the other server');
    for (const url of ['http://10.0.0.1/', 'http://169.254.169.254/latest/meta-data/']) {
      const refused = await fetchResult(url);
      assert.equal(refused.error, 'RefusedError', url);
      assert.match(String(refused.message), /range, which egress\.allow_cidrs does not open/);
    }
  });

  it('refuses every request of a skill that was never approved for a network origin', async function () {
    const created = await t.as('admin').post('/v1/skills/create').send({ ...skill('no-network', FETCH), auto_promote: true });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body.skill.status, 'active');
    const body = await run('no-network', { url: `${allowed.origin}/` });
    assert.equal((body.result as Record<string, unknown>).error, 'RefusedError');
    assert.match(String((body.result as Record<string, unknown>).message), /has no network origin approved by an admin/);
    assert.equal(allowedSeen.length, 0);
  });

  it('keeps plain sockets and urllib out: the review blocks them', async function () {
    for (const code of ['import socket\ndef run(inp):\n    return socket.socket()\n', 'import urllib.request\ndef run(inp):\n    return urllib.request.urlopen("http://127.0.0.1/").read()\n']) {
      const created = await t.as('author').post('/v1/skills/create').send(skill('plain-socket', code));
      assert.equal(created.status, 422, JSON.stringify(created.body));
      assert.ok(created.body.error.details.review.findings.some((f: { rule: string }) => f.rule === 'import-not-allowed'));
    }
  });

  it('keeps plain sockets and urllib failing at run time too, where an admin allowed their import', async function () {
    const open = await startTestService({ sandbox: { runtime: TEST_RUNTIME }, control: { allow_imports: ['socket', 'urllib', 'json'] } });
    try {
      const port = new URL(allowed.origin).port;
      const code = `
def attempt(call):
    try:
        call()
        return "connected"
    except BaseException as error:
        return type(error).__name__

def use_socket():
    import socket
    socket.create_connection(("127.0.0.1", ${port}), timeout=2)

def use_urllib():
    import urllib.request
    urllib.request.urlopen("${allowed.origin}/", timeout=2)

def run(inp):
    return {"socket": attempt(use_socket), "urllib": attempt(use_urllib)}
`;
      const created = await open.as('admin').post('/v1/skills/create').send({ ...skill('plain-socket', code), auto_promote: true });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const ran = await open.as('client').post('/v1/skills/run').send({ skill: 'plain-socket', input: {} });
      assert.equal(ran.status, 200, JSON.stringify(ran.body));
      const result = ran.body.result as Record<string, string>;
      assert.equal(ran.body.status, 'succeeded', JSON.stringify(ran.body));
      assert.notEqual(result.socket, 'connected', JSON.stringify(ran.body));
      assert.notEqual(result.urllib, 'connected', JSON.stringify(ran.body));
      assert.equal(allowedSeen.length, 0, 'nothing reached the server');
    } finally {
      await open.close();
      await assertNoContainersLeft(open.dataDir);
    }
  });

  it('ends a greedy skill at its request budget with a clear error', async function () {
    const created = await t.as('author').post('/v1/skills/create').send(skill('greedy', GREEDY, [allowed.origin]));
    assert.equal(created.status, 202);
    assert.equal((await t.as('admin').post('/v1/reviews/greedy@1.0.0/approve').send({ network: [allowed.origin] })).status, 200);
    const body = await run('greedy', { url: `${allowed.origin}/` });
    assert.equal(body.status, 'failed');
    assert.deepEqual([(body.error as { type: string }).type, allowedSeen.length], ['BudgetExceeded', 5]);
    assert.match((body.error as { message: string }).message, /budget of 5 requests \(egress\.max_requests\) is spent/);
  });

  it('writes every request to the audit log, with its run, origin, path without query and outcome', async function () {
    const body = await run('fetcher', { url: `${allowed.origin}/audited?secret=query` });
    const events = await t.as('admin').get(`/v1/audit?event=egress&skill=fetcher&limit=1000`);
    assert.equal(events.status, 200);
    const mine = events.body.events.filter((e: { details: { run_id: string } }) => e.details.run_id === body.run_id);
    assert.equal(mine.length, 1);
    assert.deepEqual(
      { outcome: mine[0].outcome, method: mine[0].details.method, host: mine[0].details.host, path: mine[0].details.path, status: mine[0].details.status },
      { outcome: 'ok', method: 'GET', host: '127.0.0.1', path: '/audited', status: 200 },
    );
    assert.ok(mine[0].details.bytes_in > 0);
    const all = (await t.service.audit.query({ event: 'egress', limit: 1000 })).length;
    assert.ok(all >= 12, `every request of this suite is audited (${all})`);
    const metrics = await t.as('admin').get('/metrics');
    assert.match(metrics.text, /tool_executor_egress_requests_total\{outcome="refused"\} \d+/);
    assert.match(metrics.text, /tool_executor_egress_requests_total\{outcome="budget"\} 1/);
  });
});
