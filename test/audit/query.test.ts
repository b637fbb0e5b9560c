import assert from 'node:assert/strict';
import { ValidationError } from '../../server/src/errors.js';
import { MAX_QUERY_LIMIT } from '../../server/src/audit/index.js';
import { auditFiles, removeDir, runEvent, tempDataDir, withLog } from './helpers.js';

describe('audit log: query', () => {
  let dataDir: string;
  before(async () => { dataDir = await tempDataDir(); });
  after(async () => { await removeDir(dataDir); });

  it('answers newest first, filtered by event and skill, across rotated files', async () => {
    await withLog(dataDir, 4000, async (log) => {
      for (let i = 1; i <= 30; i++) {
        await log.record(runEvent(i, { event: i % 3 === 0 ? 'install' : 'run', skill: i % 2 === 0 ? 'word-count' : 'echo' }));
      }
      assert.ok((await auditFiles(dataDir)).length > 2, 'the log spans several files');

      const all = await log.query({});
      assert.deepEqual(all.map((e) => e.seq), Array.from({ length: 30 }, (_, i) => 30 - i));

      const installs = await log.query({ event: 'install' });
      assert.deepEqual(installs.map((e) => e.seq), [30, 27, 24, 21, 18, 15, 12, 9, 6, 3]);

      const echoInstalls = await log.query({ event: 'install', skill: 'echo' });
      assert.deepEqual(echoInstalls.map((e) => e.seq), [27, 21, 15, 9, 3]);

      assert.deepEqual((await log.query({ limit: 3 })).map((e) => e.seq), [30, 29, 28]);
      assert.equal(all[0]!.request_id, 'req-30');
      assert.ok(all[0]!.hash && all[0]!.prev_hash === all[1]!.hash);
    });
  });

  it('returns only events at or after `since`', async () => {
    await withLog(dataDir, 4000, async (log) => {
      const all = await log.query({ limit: 1000 });
      const pivot = all[9]!.time;
      const since = await log.query({ since: pivot, limit: 1000 });
      assert.ok(since.length >= 10);
      assert.ok(since.every((e) => e.time >= pivot));
      assert.deepEqual(await log.query({ since: '2999-01-01T00:00:00Z' }), []);
    });
  });

  it('defaults to 100 events, caps the limit at 1000 and refuses a bad limit or since', async () => {
    await withLog(dataDir, 64 * 1024 * 1024, async (log) => {
      await Promise.all(Array.from({ length: 1100 }, (_, i) => log.record(runEvent(i))));
      assert.equal((await log.query({})).length, 100);
      assert.equal((await log.query({ limit: 5000 })).length, MAX_QUERY_LIMIT);
      await assert.rejects(log.query({ limit: 0 }), ValidationError);
      await assert.rejects(log.query({ since: 'yesterday' }), ValidationError);
    });
  });
});
