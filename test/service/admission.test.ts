// Admission's queue bound in time (limits.queue_timeout_ms): a run that waits longer than that for a
// slot is refused as overloaded and leaves the queue; one that gets a slot in time runs.
import assert from 'node:assert/strict';
import { OverloadedError } from '../../server/src/errors.js';
import { Admission } from '../../server/src/service/index.js';

describe('admission: the longest a run waits for a slot', () => {
  it('refuses a run that waited past queue_timeout_ms, with Retry-After, and takes it out of the queue', async () => {
    const admission = new Admission(() => ({ concurrency: 1, queue: 4, queue_timeout_ms: 30 }));
    const first = await admission.enter();
    await assert.rejects(admission.enter(), (error: unknown) => {
      assert.ok(error instanceof OverloadedError);
      assert.match(error.message, /queue_timeout_ms/);
      assert.ok((error.retryAfterS ?? 0) >= 1);
      return true;
    });
    assert.deepEqual(admission.stats, { running: 1, waiting: 0 });
    first.release();
    assert.deepEqual(admission.stats, { running: 0, waiting: 0 });
    const next = await admission.enter();
    assert.deepEqual(admission.stats, { running: 1, waiting: 0 });
    next.release();
  });

  it('runs a waiting run when a slot comes free in time', async () => {
    const admission = new Admission(() => ({ concurrency: 1, queue: 4, queue_timeout_ms: 60_000 }));
    const first = await admission.enter();
    const second = admission.enter();
    assert.deepEqual(admission.stats, { running: 1, waiting: 1 });
    first.release();
    const admitted = await second;
    assert.deepEqual(admission.stats, { running: 1, waiting: 0 });
    admitted.release();
    assert.deepEqual(admission.stats, { running: 0, waiting: 0 });
  });
});
