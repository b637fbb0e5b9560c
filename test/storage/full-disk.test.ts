// A data_dir on a small tmpfs that fills up: the service fails closed (503 storage_unavailable for
// changes and runs, /readyz not ready), commits nothing without its audit line, and once space is
// freed it recovers by itself, without a restart.
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import supertest from 'supertest';
import { verifyAudit } from '../../server/src/audit/index.js';
import { assertError } from '../http/support.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { mountTmpfs, createUntilRefused, tmpfsUnavailable, type Tmpfs } from '../helpers/tmpfs.js';

const WORDS = { skill: 'word-count', input: { text: 'one two three' } };

describe('a full disk under data_dir (tmpfs)', function () {
  this.timeout(180_000);
  let disk: Tmpfs | undefined;
  let t: TestService | undefined;
  let dataDir: string;

  before(async function () {
    const why = tmpfsUnavailable();
    if (why) {
      console.warn(`    skipped: ${why}`);
      this.skip();
    }
    disk = await mountTmpfs(24);
    dataDir = path.join(disk.dir, 'data');
    t = await startTestService({ data_dir: dataDir, sandbox: { pool: { size: 0 } } });
  });
  after(async () => {
    await t?.close();
    await disk?.unmount();
  });

  it('answers 503 storage_unavailable and is not ready, commits nothing unaudited, and recovers without a restart', async () => {
    const service = t!;
    await service.as('client').post('/v1/skills/run').send(WORDS).expect(200);
    const filler = await disk!.fill();

    const { answers } = await createUntilRefused(service);
    for (const res of answers) {
      if (res.status === 201) continue;
      assertError(res, 'storage_unavailable');
      assert.ok(Number(res.headers['retry-after']) >= 1, 'Retry-After in seconds');
    }
    assertError(await service.as('client').post('/v1/skills/run').send(WORDS), 'storage_unavailable');
    assertError(await service.as('client').post('/v1/runs').send(WORDS), 'storage_unavailable');
    assertError(await service.as('admin').put('/v1/admin/limits').send(service.service.config.limits), 'storage_unavailable');
    const notReady = await supertest(service.service.app).get('/readyz');
    assert.equal(notReady.status, 503);
    assert.match(JSON.stringify(notReady.body.error.details.problems), /audit log cannot be written/);

    await rm(filler);
    // Recovery is tried at most once a second, on the next request or probe: no restart.
    let ready = 0;
    for (let tries = 0; tries < 100 && ready !== 200; tries += 1) {
      await sleep(100);
      ready = (await supertest(service.service.app).get('/readyz')).status;
    }
    assert.equal(ready, 200, '/readyz is ready again once the disk has room');
    const after = await service.as('author').post('/v1/skills/create').send({
      name: 'after-the-disk', version: '1.0.0', description: 'created after recovery', runtime: 'python3', entrypoint: 'main.py', handler: 'run',
      code: 'def run(inp):\n    return {"ok": True}\n',
    });
    assert.equal(after.status, 201, after.text.slice(0, 300));
    await service.as('client').post('/v1/skills/run').send(WORDS).expect(200);

    // Every skill the store holds from a create has that create's outcome in the log (some written
    // late, once the log recovered); the chain is whole across the gap.
    const creates = await service.service.audit.query({ event: 'create', limit: 1000 });
    const created = service.service.store.list().filter((record) => record.origin === 'create');
    assert.ok(created.length >= 1);
    for (const record of created) {
      assert.ok(creates.some((e) => e.skill === record.name && e.version === record.version && e.outcome === record.status),
        `${record.name}@${record.version} (${record.status}) has its create line`);
    }
    for (const res of answers.filter((r) => r.status === 201)) assert.ok(service.service.store.find(res.body.skill.name, '1.0.0'), 'an acknowledged create is stored');
    assert.equal((await service.service.audit.query({ event: 'audit.recovered' })).length, 1);
    assert.equal((await verifyAudit(dataDir)).ok, true);
  });
});
