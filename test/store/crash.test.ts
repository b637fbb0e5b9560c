// Crash safety (SPEC §7): a child process writes to the store in a loop and is SIGKILLed at a random
// moment, several rounds on one data_dir. After each kill: installed.json still parses and matches its
// contract (never half-written); once the store is opened (reconciling), installed.json and the folders
// agree exactly, no staging is left, every file reads back with its digest, and every acknowledged
// write is there.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { contracts, digestOf, openTestStore, tempDataDir } from './helpers.js';

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'crash-child.js');
const ROUNDS = 6;

type Line = { ready?: true; start?: string; ack?: string; name?: string; status?: string };

/**
 * Runs the child until it has acknowledged `killAfterAcks` writes, then kills it a random moment
 * (0-20 ms) later, in the middle of whatever write comes next; returns what it said. Counting acks
 * rather than milliseconds makes the kill land after real work however loaded the machine is.
 */
function runAndKill(dataDir: string, round: number, killAfterAcks: number): Promise<Line[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, dataDir, String(round)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let buffer = '';
    let timer: NodeJS.Timeout | undefined;
    child.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      const acks = buffer.split('\n').filter((line) => line.includes('"ack"')).length;
      if (!timer && acks >= killAfterAcks) timer = setTimeout(() => child.kill('SIGKILL'), Math.floor(Math.random() * 20));
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (signal !== 'SIGKILL') return reject(new Error(`child ended by itself (code ${code})`));
      // A line cut by the kill was never complete: it acknowledges nothing.
      resolve(buffer.split('\n').filter((line) => line.endsWith('}')).map((line) => JSON.parse(line) as Line));
    });
  });
}

/** What the acknowledged operations promise: name -> status, or null for removed. */
function expectedState(lines: Line[], expected: Map<string, string | null>, inFlight: Set<string>): void {
  const started = new Map<string, number>();
  for (const line of lines) {
    if (!line.name) continue;
    if (line.start) started.set(`${line.start} ${line.name}`, (started.get(`${line.start} ${line.name}`) ?? 0) + 1);
    if (line.ack) {
      started.delete(`${line.ack} ${line.name}`);
      expected.set(line.name, line.ack === 'remove' ? null : line.ack === 'promote' ? 'active' : line.status!);
    }
  }
  // An operation that started and was not acknowledged may or may not have happened.
  for (const key of started.keys()) inFlight.add(key.split(' ')[1]!);
}

async function versionFolders(parent: string, skip: string[]): Promise<string[]> {
  const found: string[] = [];
  for (const name of await readdir(parent)) {
    if (skip.includes(name)) continue;
    for (const version of await readdir(path.join(parent, name))) found.push(`${name}@${version}`);
  }
  return found.sort();
}

describe('store crash safety', function () {
  this.timeout(180_000);
  let dataDir: string;
  before(async () => {
    dataDir = await tempDataDir();
  });
  after(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it(`keeps installed.json and the folders in agreement across ${ROUNDS} SIGKILLs at random moments`, async () => {
    const expected = new Map<string, string | null>();
    for (let round = 0; round < ROUNDS; round++) {
      const inFlight = new Set<string>();
      const killAfterAcks = 1 + Math.floor(Math.random() * 10);
      const lines = await runAndKill(dataDir, round, killAfterAcks);
      assert.ok(lines.filter((l) => l.ack).length >= killAfterAcks, `round ${round}: killed after ${killAfterAcks} acknowledged writes`);
      expectedState(lines, expected, inFlight);

      const skills = path.join(dataDir, 'skills');
      const raw = JSON.parse(await readFile(path.join(skills, 'installed.json'), 'utf8'));
      contracts.assert('installed.json', raw, 'installed.json after a SIGKILL');

      const store = await openTestStore(dataDir);
      try {
        const records = store.list();
        const byName = new Map(records.map((r) => [r.name, r]));
        for (const [name, status] of expected) {
          if (inFlight.has(name)) continue;
          assert.equal(byName.get(name)?.status ?? null, status, `round ${round}: acknowledged state of ${name}`);
        }
        // An interrupted operation went one way or the other; from now on that way is what must hold.
        for (const name of inFlight) expected.set(name, byName.get(name)?.status ?? null);
        const active = await versionFolders(skills, ['installed.json', 'installed.json.lock', '_drafts', '_tmp']);
        const drafts = await versionFolders(path.join(skills, '_drafts'), []);
        assert.deepEqual(active, records.filter((r) => r.status === 'active').map((r) => `${r.name}@${r.version}`).sort(), `round ${round}: active folders`);
        assert.deepEqual(drafts, records.filter((r) => r.status !== 'active').map((r) => `${r.name}@${r.version}`).sort(), `round ${round}: draft folders`);
        assert.deepEqual(await readdir(path.join(skills, '_tmp')), [], `round ${round}: no staging left`);
        for (const record of records) {
          const stored = await store.read(record);
          assert.equal(digestOf(stored.files), record.digest, `round ${round}: files of ${record.name} are whole`);
        }
        // The reconciled state is the one on disk.
        const reread = contracts.assert('installed.json', JSON.parse(await readFile(path.join(skills, 'installed.json'), 'utf8')));
        assert.equal(reread.skills.length, records.length);
      } finally {
        await store.close();
      }
    }
  });
});
