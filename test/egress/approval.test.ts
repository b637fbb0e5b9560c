// permissions.network as an admin sees and approves it: a list of origins, escalated, shown in
// GET /v1/reviews, approved exactly, and approved again when the manifest changes.
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { assertNoContainersLeft } from '../helpers/docker.js';
import { startTestService, type TestService } from '../helpers/service.js';

const CODE = 'import net\ndef run(inp):\n    return {"ok": True}\n';

function skill(name: string, network: unknown, version = '1.0.0'): Record<string, unknown> {
  return { name, version, description: 'calls an API', runtime: 'python3', entrypoint: 'main.py', handler: 'run', code: CODE, permissions: { network } };
}

describe('network permissions and their approval', function () {
  let t: TestService;

  before(async function () {
    t = await startTestService();
  });

  after(async function () {
    await t.close();
    await assertNoContainersLeft(t.dataDir);
  });

  it('refuses the old boolean with a message that says what to write instead', async function () {
    for (const network of [true, false]) {
      const response = await t.as('author').post('/v1/skills/create').send(skill('old-style', network));
      assert.equal(response.status, 400, JSON.stringify(response.body));
      assert.equal(response.body.error.code, 'validation_failed');
      const messages = response.body.error.details.errors.map((e: { message: string }) => e.message).join(' | ');
      assert.match(messages, /permissions\.network is a list of origins now, not a boolean: write \[\] \(or leave it out\) for none, or the origins the skill calls, e\.g\. \["https:\/\/api\.example\.com"\]/);
    }
    assert.equal((await t.as('client').get('/v1/skills/old-style')).status, 404, 'nothing was stored');
  });

  it('refuses an entry that is no origin (a path, credentials, another scheme)', async function () {
    for (const origin of ['https://api.example.com/v1', 'https://user:pw@api.example.com', 'ftp://example.com', 'api.example.com']) {
      const response = await t.as('author').post('/v1/skills/create').send(skill('bad-origin', [origin]));
      assert.equal(response.status, 400, origin);
    }
  });

  it('escalates a list of origins and shows it in GET /v1/reviews; approving keeps exactly that list', async function () {
    const origins = ['https://api.example.com', 'https://*.example.org:8443'];
    const created = await t.as('author').post('/v1/skills/create').send(skill('caller', origins));
    assert.equal(created.status, 202, JSON.stringify(created.body));
    const pending = await t.as('admin').get('/v1/reviews');
    const entry = pending.body.reviews.find((r: { id: string }) => r.id === 'caller@1.0.0');
    assert.deepEqual(entry.network, origins);
    assert.ok(entry.review.findings.some((f: { rule: string; message: string }) => f.rule === 'permission-requested' && f.message.includes('https://api.example.com')));

    const mismatch = await t.as('admin').post('/v1/reviews/caller@1.0.0/approve').send({ network: ['https://api.example.com'] });
    assert.equal(mismatch.status, 409, JSON.stringify(mismatch.body));
    assert.equal(t.service.store.find('caller', '1.0.0')?.status, 'pending_review');

    const approved = await t.as('admin').post('/v1/reviews/caller@1.0.0/approve').send({ network: [...origins].reverse() });
    assert.equal(approved.status, 200, JSON.stringify(approved.body));
    assert.deepEqual(approved.body.approved_network, origins);
    assert.deepEqual(t.service.store.find('caller', '1.0.0')?.approved_network, origins);
    const [event] = await t.service.audit.query({ event: 'review.approve', skill: 'caller' });
    assert.deepEqual(event?.details?.network, origins);
  });

  it('needs a new approval when the manifest changes: a new version escalates, an edited one does not run', async function () {
    const next = await t.as('author').post('/v1/skills/create').send(skill('caller', ['https://api.example.com', 'https://other.example.com'], '1.1.0'));
    assert.equal(next.status, 202);
    assert.equal(next.body.skill.status, 'pending_review');

    const manifestFile = path.join(t.dataDir, 'skills', 'caller', '1.0.0', 'manifest.yaml');
    const text = await readFile(manifestFile, 'utf8');
    await writeFile(manifestFile, text.replace('https://api.example.com', 'https://evil.example.com'));
    const run = await t.as('client').post('/v1/skills/run').send({ skill: 'caller', version: '1.0.0', input: {} });
    assert.equal(run.status, 422, JSON.stringify(run.body));
    assert.match(run.body.error.message, /lists other network origins than an admin approved; it needs a new review/);
  });
});
