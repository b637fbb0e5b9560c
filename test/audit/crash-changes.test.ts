// Every committed change is in the audit log, acknowledged or not: main.js takes creates, promotes,
// uninstalls, key and limit changes on three lanes at once and is SIGKILLed after a random number of
// answers, round after round on one data_dir. Afterwards, replaying the log (outcome lines, and the
// reconcile lines start-up wrote for intents a kill left open) gives exactly what the store, the key
// file and the policy hold.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createAuditLog, verifyAudit, type AuditEntry, type ChangeTarget } from '../../server/src/audit/index.js';
import { sha256Hex } from '../../server/src/auth/keys.js';
import { limitsDigest, type LimitPolicy } from '../../server/src/service/policy.js';
import { freePort } from '../../scripts/lib/free-port.js';
import { call, startMain, stopMain, type Answer, type Running } from '../helpers/main-process.js';

const ROUNDS = 8;
const KEYS = { admin: 'crash-admin-key-0123456789', author: 'crash-author-key-0123456789' };

interface Replayed {
  skills: Map<string, string>;
  keys: Set<string>;
  limits: string | null;
}

function apply(state: Replayed, target: ChangeTarget): void {
  if (target.kind === 'skill') {
    if (target.status === 'absent') state.skills.delete(`${target.name}@${target.version}`);
    else state.skills.set(`${target.name}@${target.version}`, target.status);
  } else if (target.kind === 'key') {
    if (target.present) state.keys.add(target.id);
    else state.keys.delete(target.id);
  } else {
    state.limits = target.sha256;
  }
}

/** The state the log says the changes left, oldest line first. */
function replay(entries: AuditEntry[]): Replayed {
  const state: Replayed = { skills: new Map(), keys: new Set(), limits: null };
  for (const entry of entries) {
    const details = (entry.details ?? {}) as { targets?: ChangeTarget[]; removed?: string[]; key_id?: string; after?: LimitPolicy };
    const id = `${entry.skill}@${entry.version}`;
    if (entry.event === 'reconcile' && entry.outcome === 'rolled_forward') {
      for (const target of details.targets ?? []) apply(state, target);
    } else if ((entry.event === 'create' || entry.event === 'promote') && ['draft', 'active', 'pending_review'].includes(entry.outcome)) {
      state.skills.set(id, entry.outcome);
    } else if (entry.event === 'uninstall' && entry.outcome === 'removed') {
      for (const version of details.removed ?? []) state.skills.delete(`${entry.skill}@${version}`);
    } else if (entry.event === 'key.create' && entry.outcome === 'created') {
      state.keys.add(String(details.key_id));
    } else if (entry.event === 'key.revoke' && entry.outcome === 'revoked') {
      state.keys.delete(String(details.key_id));
    } else if (entry.event === 'limits.update' && entry.outcome === 'ok') {
      state.limits = limitsDigest(details.after!);
    }
  }
  return state;
}

async function allEntries(dataDir: string): Promise<AuditEntry[]> {
  const audit = await createAuditLog({ dataDir, rotateBytes: 64 * 1024 * 1024 });
  try {
    // Newest first, 1000 a query: walk back with `since` would skip equal times; the test stays far below 1000 per event.
    const events = ['create', 'promote', 'uninstall', 'reconcile', 'key.create', 'key.revoke', 'limits.update'];
    const found = (await Promise.all(events.map((event) => audit.query({ event, limit: 1000 })))).flat();
    for (const event of events) assert.ok(found.filter((e) => e.event === event).length < 1000, `fewer than 1000 ${event} lines`);
    return found.sort((a, b) => a.seq - b.seq);
  } finally {
    await audit.close();
  }
}

describe('audit log after SIGKILLs at random points during changes', function () {
  this.timeout(600_000);
  let dir: string;
  let running: Running | undefined;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'te-crash-changes-'));
  });
  after(async () => {
    await stopMain(running);
    await rm(dir, { recursive: true, force: true });
  });

  it(`replays to exactly what the store, the keys and the policy hold, across ${ROUNDS} kills`, async () => {
    const port = await freePort();
    const configFile = path.join(dir, 'config.yaml');
    await writeFile(configFile, [
      `server: {host: 127.0.0.1, port: ${port}, auth_failures_per_minute: 100000}`,
      'data_dir: ./data',
      'registry: {preinstall: []}',
      'sandbox: {pool: {size: 0}}',
      'auth:',
      '  keys:',
      `    - {id: ops, role: admin, sha256: "${sha256Hex(KEYS.admin)}"}`,
      `    - {id: writer, role: author, sha256: "${sha256Hex(KEYS.author)}"}`,
      '',
    ].join('\n'));
    const dataDir = path.join(dir, 'data');
    const drafts: string[] = [];
    const created: string[] = [];
    let unacknowledged = 0;

    for (let round = 0; round < ROUNDS; round += 1) {
      running = await startMain(configFile);
      const policy = (await call(port, 'GET', '/v1/admin/limits', KEYS.admin)).body as LimitPolicy;
      // Creates are the slowest change (a review each): the kill comes 0-30 ms after a random number
      // of them answered, while the other lanes are in the middle of theirs.
      const killAfterCreates = 1 + Math.floor(Math.random() * 5);
      let createsAnswered = 0;
      let killed = false;
      const answerCreate = (res: Answer): Answer => {
        createsAnswered += 1;
        if (createsAnswered === killAfterCreates) setTimeout(() => { killed = true; running!.child.kill('SIGKILL'); }, Math.floor(Math.random() * 30));
        return res;
      };
      const lane = async (step: (i: number) => Promise<void>): Promise<void> => {
        for (let i = 0; !killed; i += 1) {
          try {
            await step(i);
          } catch {
            unacknowledged += 1; // the connection died with the process
            return;
          }
        }
      };
      const skillBody = (name: string) => ({ name, version: '1.0.0', description: 'crash test', runtime: 'python3', entrypoint: 'main.py', handler: 'run', code: 'def run(inp):\n    return {"ok": True}\n' });
      await Promise.all([
        lane(async (i) => {
          const name = `c-${round}-${i}`;
          const res = answerCreate(await call(port, 'POST', '/v1/skills/create', KEYS.author, skillBody(name)));
          if (res.status === 201) {
            drafts.push(name);
            created.push(name);
          }
        }),
        lane(async (i) => {
          const name = drafts.shift();
          if (name && i % 3 !== 2) await call(port, 'POST', '/v1/skills/promote', KEYS.admin, { name, version: '1.0.0' });
          else if (created.length > 4) await call(port, 'POST', '/v1/skills/uninstall', KEYS.admin, { name: created.shift()! });
          else await sleep(10);
        }),
        lane(async (i) => {
          if (i % 2 === 0) await call(port, 'POST', '/v1/admin/keys', KEYS.admin, { id: `k-${round}-${i}`, role: 'client' });
          else await call(port, 'PUT', '/v1/admin/limits', KEYS.admin, { ...policy, concurrency: 1 + ((round * 7 + i) % 16) });
        }),
      ]);
      await running.exited;
      assert.equal(running.child.signalCode, 'SIGKILL');
    }

    // One more start: it closes the intents the last kill left open, then reads what is in force.
    running = await startMain(configFile);
    const skills = (await call(port, 'GET', '/v1/skills', KEYS.admin)).body.skills as Array<{ name: string; version: string; status: string }>;
    const keys = (await call(port, 'GET', '/v1/admin/keys', KEYS.admin)).body.keys as Array<{ id: string; source: string }>;
    const limits = (await call(port, 'GET', '/v1/admin/limits', KEYS.admin)).body as LimitPolicy;
    await stopMain(running, 'SIGTERM');

    const entries = await allEntries(dataDir);
    const replayed = replay(entries);
    assert.deepEqual(
      [...replayed.skills].sort(),
      skills.map((s) => [`${s.name}@${s.version}`, s.status]).sort(),
      'the skills the log replays to are the skills the store holds',
    );
    assert.deepEqual([...replayed.keys].sort(), keys.filter((k) => k.source === 'api').map((k) => k.id).sort(), 'keys');
    if (replayed.limits !== null) assert.equal(replayed.limits, limitsDigest(limits), 'limit policy');
    assert.ok(skills.length > 0 && keys.some((k) => k.source === 'api'), 'changes were committed');
    assert.ok(unacknowledged > 0, 'the kills cut requests short');
    assert.equal((await verifyAudit(dataDir)).ok, true);
  });
});
