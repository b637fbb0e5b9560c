// One audited action: success, refusal and error each end as exactly one event with the same fields;
// a change records its intent first; start-up reconciliation closes intents a crash left open.
import assert from 'node:assert/strict';
import { Auditor, type AuditEntry } from '../../server/src/audit/index.js';
import { ConflictError } from '../../server/src/errors.js';
import { reconcileIntents } from '../../server/src/service/reconcile.js';
import { AUDIT_FIELDS, removeDir, tempDataDir, withLog } from './helpers.js';

const CALL = { actor: { id: 'ops' }, requestId: 'req-1' };

describe('one audited action', () => {
  let dataDir: string;
  beforeEach(async () => {
    dataDir = await tempDataDir();
  });
  afterEach(async () => {
    await removeDir(dataDir);
  });

  it('ends a success, a refusal and a bug as one event each, with the same fields; refusals carry their code', async () => {
    await withLog(dataDir, 1 << 20, async (log) => {
      const auditor = new Auditor(log);
      await auditor.action('create', CALL, { skill: 'a', version: '1.0.0', details: {} }, async () => ({ outcome: 'draft' }));
      await assert.rejects(auditor.action('create', CALL, { skill: 'b', details: {} }, async () => {
        throw new ConflictError('exists');
      }), ConflictError);
      await assert.rejects(auditor.action('create', CALL, { skill: 'c', details: {} }, async () => {
        throw new TypeError('a bug');
      }), TypeError);
      const events = (await log.query({ event: 'create' })).reverse();
      assert.deepEqual(events.map((e) => [e.skill, e.outcome]), [['a', 'draft'], ['b', 'conflict'], ['c', 'internal']]);
      for (const event of events) assert.deepEqual(Object.keys(event).sort(), AUDIT_FIELDS);
    });
  });

  it('writes the intent before the change and names the same action in the outcome', async () => {
    await withLog(dataDir, 1 << 20, async (log) => {
      const auditor = new Auditor(log);
      let intentOnDiskBeforeCommit = false;
      await auditor.action('promote', CALL, { skill: 'a', version: '1.0.0', details: {} }, async (act) => {
        await act.intend([{ kind: 'skill', name: 'a', version: '1.0.0', status: 'active' }]);
        intentOnDiskBeforeCommit = (await log.query({ event: 'promote.intent' })).length === 1;
        return { outcome: 'active' };
      });
      assert.ok(intentOnDiskBeforeCommit);
      const [intent] = await log.query({ event: 'promote.intent' });
      const [outcome] = await log.query({ event: 'promote' });
      assert.equal(intent?.outcome, 'intent');
      assert.equal(outcome?.details?.action_id, intent?.details?.action_id);
      assert.deepEqual(await log.openIntents(), []);
    });
  });

  it('closes open intents at start-up: rolled forward when the store holds the change, back when not; once', async () => {
    const skills = new Map([['kept@1.0.0', 'draft']]);
    const deps = (log: Parameters<typeof reconcileIntents>[0]['audit'], auditor: Auditor) => ({
      audit: log,
      auditor,
      store: { find: (name: string, version: string) => (skills.has(`${name}@${version}`) ? { status: skills.get(`${name}@${version}`)! } as never : undefined) },
      policy: { limits: { defaults: {}, max: {}, concurrency: 1, queue: 1 } as never },
      keys: { has: (id: string) => id === 'made' },
    });
    await withLog(dataDir, 1 << 20, async (log) => {
      // What a crash between intent and outcome leaves: intent lines and nothing after them.
      const intent = (id: string, event: string, targets: object[]) => log.record({ event: `${event}.intent`, actor: 'ops', request_id: id, outcome: 'intent', details: { action_id: id, targets } });
      await intent('a1', 'create', [{ kind: 'skill', name: 'kept', version: '1.0.0', status: 'draft' }]);
      await intent('a2', 'create', [{ kind: 'skill', name: 'lost', version: '1.0.0', status: 'draft' }]);
      await intent('a3', 'key.create', [{ kind: 'key', id: 'made', present: true }]);
      const auditor = new Auditor(log);
      assert.deepEqual(await reconcileIntents(deps(log, auditor)), { rolledForward: 2, rolledBack: 1 });
      const reconciled: AuditEntry[] = (await log.query({ event: 'reconcile' })).reverse();
      assert.deepEqual(reconciled.map((e) => [e.details?.action_id, e.details?.action, e.outcome]), [
        ['a1', 'create', 'rolled_forward'], ['a2', 'create', 'rolled_back'], ['a3', 'key.create', 'rolled_forward'],
      ]);
      // The next start finds nothing open: the scan stops at this start's service.start.
      assert.deepEqual(await reconcileIntents(deps(log, auditor)), { rolledForward: 0, rolledBack: 0 });
    });
  });
});
