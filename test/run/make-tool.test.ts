// The Make-Tool pattern (SPEC §6) against a stand-in for Ollama on loopback that speaks its real
// HTTP API (`POST /api/generate`, `stream: false`, the text in `response`).
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { assertNoContainersLeft } from '../helpers/docker.js';
import { startTestService, type TestService } from '../helpers/service.js';

interface StandInModel {
  url: string;
  /** What the next /api/generate answers in `response`. */
  answer: string;
  requests: Array<{ model: string; prompt: string; stream: boolean }>;
  close(): Promise<void>;
}

async function startStandInModel(): Promise<StandInModel> {
  const model: StandInModel = { url: '', answer: '', requests: [], close: async () => undefined };
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/api/generate') {
        res.writeHead(404).end();
        return;
      }
      const request = JSON.parse(body) as StandInModel['requests'][number];
      model.requests.push(request);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ model: request.model, created_at: new Date().toISOString(), response: model.answer, done: true }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  model.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  model.close = () => new Promise((resolve) => server.close(() => resolve()));
  return model;
}

const ADDER = 'Here is the skill:\n\n```python\ndef run(inp):\n    return {"sum": inp["a"] + inp["b"]}\n```\nIt adds a and b.';

describe('run by intent (Make-Tool)', function () {
  let model: StandInModel;
  let live: TestService;
  let drafting: TestService;

  before(async function () {
    model = await startStandInModel();
    live = await startTestService({ generator: { enabled: true, url: model.url, auto_promote: true } });
    drafting = await startTestService({ generator: { enabled: true, url: model.url, auto_promote: false } });
  });

  after(async function () {
    await live.close();
    await drafting.close();
    await model.close();
    await assertNoContainersLeft(live.dataDir);
    await assertNoContainersLeft(drafting.dataDir);
  });

  it('runs a matching active skill without asking the model', async function () {
    const before = model.requests.length;
    const res = await live.as('client').post('/v1/skills/run').send({ intent: 'count the words in a text', input: { text: 'a b c d' } });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.generated, false);
    assert.equal(res.body.skill.name, 'word-count');
    assert.deepEqual(res.body.result, { words: 4 });
    assert.equal(model.requests.length, before);
  });

  it('generates, reviews, activates and runs a skill when none matches (auto_promote on)', async function () {
    model.answer = ADDER;
    const res = await live.as('client').post('/v1/skills/run').send({ intent: 'add two numbers a and b', input: { a: 2, b: 3 } });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.generated, true);
    assert.equal(res.body.status, 'succeeded');
    assert.deepEqual(res.body.result, { sum: 5 });
    const asked = model.requests.at(-1)!;
    assert.equal(asked.model, 'qwen2.5-coder');
    assert.equal(asked.stream, false);
    assert.match(asked.prompt, /add two numbers a and b/);
    const listed = live.service.store.list().find((r) => r.name === res.body.skill.name);
    assert.equal(listed?.status, 'active');
    assert.equal(listed?.origin, 'generate');
  });

  it('stores a generated skill as a draft and answers 202 when auto_promote is off', async function () {
    model.answer = ADDER;
    const res = await drafting.as('client').post('/v1/skills/run').send({ intent: 'sum the numbers a and b', input: { a: 1, b: 1 } });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    assert.equal(res.body.generated, true);
    assert.equal(res.body.skill.status, 'draft');
    assert.ok(res.body.review.decision === 'APPROVE' || res.body.review.decision === 'WARN');
    const again = await drafting.as('client').post('/v1/skills/run').send({ skill: res.body.skill.name, input: { a: 1, b: 1 } });
    assert.equal(again.status, 409);
  });

  it('answers 422 for generated code the control layer blocks, and never stores it', async function () {
    model.answer = '```python\nimport os\n\ndef run(inp):\n    return os.listdir("/")\n```';
    const res = await live.as('client').post('/v1/skills/run').send({ intent: 'list the root folder', input: {} });
    assert.equal(res.status, 422, JSON.stringify(res.body));
    assert.equal(res.body.error.code, 'blocked');
    assert.ok(res.body.error.details.review.findings.length > 0);
    assert.equal(live.service.store.list().some((r) => r.origin === 'generate' && r.description === 'list the root folder'), false);
  });

  it('takes the whole answer as code when it has no fenced block', async function () {
    model.answer = 'def run(inp):\n    return {"upper": inp["s"].upper()}\n';
    const res = await live.as('client').post('/v1/skills/run').send({ intent: 'uppercase the string s', input: { s: 'abc' } });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(res.body.result, { upper: 'ABC' });
  });

  it('answers 404 when nothing matches and generation is off or failing', async function () {
    const off = await startTestService();
    try {
      const res = await off.as('client').post('/v1/skills/run').send({ intent: 'translate klingon poetry', input: {} });
      assert.equal(res.status, 404);
      assert.equal(res.body.error.code, 'not_found');
    } finally {
      await off.close();
    }
    const unreachable = await startTestService({ generator: { enabled: true, url: 'http://127.0.0.1:9', timeout_ms: 2000 } });
    try {
      const res = await unreachable.as('client').post('/v1/skills/run').send({ intent: 'translate klingon poetry', input: {} });
      assert.equal(res.status, 404);
      assert.match(res.body.error.message, /generation failed/);
    } finally {
      await unreachable.close();
    }
  });

  it('generates without running through POST /v1/skills/generate (author)', async function () {
    model.answer = ADDER;
    const res = await drafting.as('author').post('/v1/skills/generate').send({ intent: 'add a to b', name: 'adder' });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.deepEqual([res.body.skill.name, res.body.skill.version, res.body.skill.status, res.body.generated], ['adder', '0.1.0', 'draft', true]);
    const second = await drafting.as('author').post('/v1/skills/generate').send({ intent: 'add a to b', name: 'adder' });
    assert.equal(second.body.skill.version, '0.1.1');
    const client = await drafting.as('client').post('/v1/skills/generate').send({ intent: 'add a to b' });
    assert.equal(client.status, 403);
  });
});
