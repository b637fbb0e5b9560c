// /mcp with the official SDK's client over Streamable HTTP against a real server: skills as tools,
// runs as tool calls (results, the skill's errors, timeouts, logs as notifications), list_changed
// after a promote, the admin tool refused to a client key, and admission's 429 as a retry-after error.
import assert from 'node:assert/strict';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  LoggingMessageNotificationSchema, McpError, ToolListChangedNotificationSchema, type CallToolResult,
} from '@modelcontextprotocol/sdk/types.js';
import type { Role } from '../../server/src/config/index.js';
import { MCP_ERROR } from '../../server/src/mcp/index.js';
import { freePort } from '../../scripts/lib/free-port.js';
import { assertNoContainersLeft } from '../helpers/docker.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { oneLineOfRequest } from '../audit/helpers.js';

const PY = {
  raises: 'def run(inp):\n    raise ValueError("no luck: " + inp["why"])\n',
  spins: 'def run(inp):\n    while True:\n        pass\n',
  chatty: 'import time\n\ndef run(inp):\n    print("hello from the skill", flush=True)\n    time.sleep(inp.get("sleep_s", 0))\n    return {"done": True}\n',
};

describe('MCP endpoint (/mcp, Streamable HTTP)', function () {
  let t: TestService;
  let url: URL;
  const clients: Client[] = [];

  async function connect(role: Role): Promise<Client> {
    const client = new Client({ name: 'te-test', version: '1.0.0' });
    const transport = new StreamableHTTPClientTransport(url, { requestInit: { headers: { Authorization: `Bearer ${t.keys[role]}` } } });
    await client.connect(transport);
    clients.push(client);
    return client;
  }

  /** Stores a skill as an admin would (create with auto_promote), active unless `draft`. */
  async function addSkill(name: string, code: string, extra: object = {}, draft = false): Promise<void> {
    const res = await t.as(draft ? 'author' : 'admin').post('/v1/skills/create').send({
      name, version: '1.0.0', description: `test skill ${name}`, runtime: 'python3', entrypoint: 'main.py', handler: 'run', code, auto_promote: !draft, ...extra,
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
  }

  before(async function () {
    const port = await freePort();
    t = await startTestService({ server: { host: '127.0.0.1', port }, control: { allow_imports: ['json', 'time'] } });
    await t.service.listen();
    url = new URL(`http://127.0.0.1:${port}/mcp`);
    await addSkill('raiser', PY.raises);
    await addSkill('spinner', PY.spins, { limits: { timeout_ms: 1000 } });
    await addSkill('chatty', PY.chatty);
  });

  after(async function () {
    for (const client of clients) await client.close();
    await t.close();
    await assertNoContainersLeft(t.dataDir);
  });

  it('lists the active skills as tools, with their schemas and annotations; a client key sees no admin tool', async function () {
    const client = await connect('client');
    const { tools } = await client.listTools();
    const names = tools.map((tool) => tool.name);
    assert.ok(names.includes('word-count') && names.includes('raiser'), names.join(','));
    assert.ok(!names.includes('promote_skill'));
    const wordCount = tools.find((tool) => tool.name === 'word-count')!;
    assert.equal(wordCount.description, 'Counts words in a text');
    assert.deepEqual(wordCount.inputSchema.required, ['text']);
    assert.deepEqual(wordCount.outputSchema?.required, ['words']);
    assert.deepEqual(wordCount.annotations, { title: 'Counts words in a text', readOnlyHint: true, destructiveHint: false, openWorldHint: false });
    const admin = await connect('admin');
    assert.ok((await admin.listTools()).tools.some((tool) => tool.name === 'promote_skill'));
  });

  it('calls word-count and answers structuredContent {"words": 3}, through the audited run path', async function () {
    const client = await connect('client');
    const result = await client.callTool({ name: 'word-count', arguments: { text: 'one two three' } }) as CallToolResult;
    assert.equal(result.isError, undefined);
    assert.deepEqual(result.structuredContent, { words: 3 });
    assert.deepEqual(result.content, [{ type: 'text', text: '{"words":3}' }]);
    const audit = await t.as('admin').get('/v1/audit?event=run&skill=word-count');
    assert.equal(audit.body.events[0].actor, 'client-key');
    assert.equal(audit.body.events[0].outcome, 'succeeded');
  });

  it('answers isError with the exception for a skill that raises', async function () {
    const client = await connect('client');
    const result = await client.callTool({ name: 'raiser', arguments: { why: 'tested' } }) as CallToolResult;
    assert.equal(result.isError, true);
    assert.match(JSON.stringify(result.content), /failed: ValueError: no luck: tested/);
  });

  it('answers isError for a run that hits its time limit', async function () {
    const client = await connect('client');
    const result = await client.callTool({ name: 'spinner', arguments: {} }) as CallToolResult;
    assert.equal(result.isError, true);
    assert.match(JSON.stringify(result.content), /the run ended timeout/);
  });

  it('answers isError for arguments that break the input schema', async function () {
    const client = await connect('client');
    const result = await client.callTool({ name: 'word-count', arguments: { txt: 'x' } }) as CallToolResult;
    assert.equal(result.isError, true);
    assert.match(JSON.stringify(result.content), /validation_failed/);
  });

  it("streams the skill's output as log notifications while it runs", async function () {
    const client = await connect('client');
    const logs: string[] = [];
    client.setNotificationHandler(LoggingMessageNotificationSchema, (notification) => {
      logs.push(`${notification.params.logger}: ${String(notification.params.data)}`);
    });
    const result = await client.callTool({ name: 'chatty', arguments: {} }) as CallToolResult;
    assert.deepEqual(result.structuredContent, { done: true });
    assert.ok(logs.some((line) => line.startsWith('chatty/stdout: hello from the skill')), JSON.stringify(logs));
  });

  it('sends tools/list_changed when a promote changes the active set', async function () {
    const client = await connect('client');
    assert.ok(!(await client.listTools()).tools.some((tool) => tool.name === 'late-comer'));
    const changed = new Promise<void>((resolve) => client.setNotificationHandler(ToolListChangedNotificationSchema, () => resolve()));
    await addSkill('late-comer', 'def run(inp):\n    return {"late": True}\n', {}, true);
    const promoted = await t.as('admin').post('/v1/skills/promote').send({ name: 'late-comer', version: '1.0.0' });
    assert.equal(promoted.status, 200, JSON.stringify(promoted.body));
    await changed;
    assert.ok((await client.listTools()).tools.some((tool) => tool.name === 'late-comer'));
  });

  it('refuses the admin tool to a client key (and audits it); an admin key may use it', async function () {
    await addSkill('drafted', 'def run(inp):\n    return 1\n', {}, true);
    const client = await connect('client');
    await assert.rejects(client.callTool({ name: 'promote_skill', arguments: { name: 'drafted', version: '1.0.0' } }), (error: unknown) => {
      assert.ok(error instanceof McpError);
      assert.equal(error.code, MCP_ERROR.forbidden);
      assert.match(error.message, /needs the admin role/);
      return true;
    });
    // One line for the refused call (its request id is the tool call's own), with every standard field.
    const refused = (await t.service.audit.query({ event: 'auth.refused' })).filter((e) => e.details?.tool === 'promote_skill');
    assert.equal(refused.length, 1, JSON.stringify(refused));
    const refusal = await oneLineOfRequest(t.service.audit, refused[0]!.request_id!);
    assert.deepEqual([refusal.actor, refusal.outcome, refusal.details?.method], ['client-key', 'forbidden', 'tools/call']);
    const admin = await connect('admin');
    const result = await admin.callTool({ name: 'promote_skill', arguments: { name: 'drafted', version: '1.0.0' } }) as CallToolResult;
    assert.equal((result.structuredContent as { skill: { status: string } }).skill.status, 'active');
    const promoted = (await t.service.audit.query({ event: 'promote', skill: 'drafted' }));
    assert.equal(promoted.length, 1, JSON.stringify(promoted));
    assert.deepEqual([promoted[0]!.actor, promoted[0]!.outcome], ['admin-key', 'active']);
  });

  it('turns admission 429 into an MCP error that says when to retry', async function () {
    const policy = (await t.as('admin').get('/v1/admin/limits')).body;
    const narrow = await t.as('admin').put('/v1/admin/limits').send({ ...policy, concurrency: 1, queue: 0 });
    assert.equal(narrow.status, 200, JSON.stringify(narrow.body));
    try {
      const client = await connect('client');
      const slow = client.callTool({ name: 'chatty', arguments: { sleep_s: 3 } });
      // The slow run holds the one slot once it logs from inside its container.
      await new Promise<void>((resolve) => client.setNotificationHandler(LoggingMessageNotificationSchema, () => resolve()));
      await assert.rejects(client.callTool({ name: 'word-count', arguments: { text: 'x' } }), (error: unknown) => {
        assert.ok(error instanceof McpError);
        assert.equal(error.code, MCP_ERROR.overloaded);
        assert.match(error.message, /overloaded: .*retry after \d+ s/);
        assert.deepEqual(error.data, { code: 'overloaded', retry_after_s: 1 });
        return true;
      });
      assert.deepEqual(((await slow) as CallToolResult).structuredContent, { done: true });
    } finally {
      await t.as('admin').put('/v1/admin/limits').send(policy);
    }
  });

  it('refuses a request without a valid key before any MCP session exists', async function () {
    const client = new Client({ name: 'te-test', version: '1.0.0' });
    const transport = new StreamableHTTPClientTransport(url, { requestInit: { headers: { Authorization: 'Bearer not-a-key' } } });
    await assert.rejects(client.connect(transport), /401|unauthorized|not valid/i);
  });
});
