import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile, truncate } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { verifyAudit } from '../../server/src/audit/index.js';
import { allEntries, auditFiles, removeDir, runEvent, tempDataDir, withLog } from './helpers.js';

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'crash-child.js');

/** Runs the child until it has acknowledged `acks` events (plus a random few ms), SIGKILLs it, returns the acks it printed. */
async function recordAndKill(dataDir: string, rotateBytes: number, runTag: string, acks: number): Promise<string[]> {
  const child = spawn(process.execPath, [CHILD, dataDir, String(rotateBytes), runTag], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk; });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk; });
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  try {
    await new Promise<void>((resolve, reject) => {
      const watch = (): void => {
        if ((stdout.match(/^ack /gm)?.length ?? 0) >= acks) {
          child.stdout.off('data', watch);
          // A random moment after the threshold, so the kill lands anywhere in a batch.
          setTimeout(resolve, Math.floor(Math.random() * 15));
        }
      };
      child.stdout.on('data', watch);
      child.once('exit', (code) => reject(new Error(`the child exited on its own (${code}): ${stderr}`)));
    });
  } finally {
    child.kill('SIGKILL');
    await exited;
  }
  return [...stdout.matchAll(/^ack (\S+)$/gm)].map((match) => match[1]!);
}

/**
 * What a power loss could leave: the newest file cut at a random byte after its last acknowledged
 * line (unsynced data may be lost; synced data may not). A SIGKILL alone rarely tears a line, since
 * the kernel finishes a write already under way.
 */
async function cutUnacknowledgedTail(dataDir: string, acknowledged: Set<string>): Promise<number> {
  const newest = (await auditFiles(dataDir)).at(-1)!;
  const text = await readFile(newest, 'utf8');
  let keep = 0;
  let offset = 0;
  for (const line of text.split('\n').slice(0, -1)) {
    offset += Buffer.byteLength(line) + 1;
    const id = /"request_id":"([^"]+)"/.exec(line)?.[1];
    if (id && acknowledged.has(id)) keep = offset;
  }
  const size = Buffer.byteLength(text);
  if (size === keep) return 0;
  const cutAt = keep + 1 + Math.floor(Math.random() * (size - keep - 1));
  await truncate(newest, cutAt);
  return size - cutAt;
}

describe('audit log: a crash (SIGKILL) at a random moment', () => {
  let dataDir: string;
  beforeEach(async () => { dataDir = await tempDataDir(); });
  afterEach(async () => { await removeDir(dataDir); });

  it('loses no acknowledged event, and the log verifies before and after a restart (also with an unsynced tail lost)', async () => {
    const acknowledged: string[] = [];
    for (let round = 0; round < 4; round++) {
      acknowledged.push(...await recordAndKill(dataDir, 40_000, `round${round}`, 50 + Math.floor(Math.random() * 400)));
      if (round % 2 === 1) await cutUnacknowledgedTail(dataDir, new Set(acknowledged));
      const onDisk = new Set((await allEntries(dataDir)).map((entry) => entry.request_id));
      const missing = acknowledged.filter((id) => !onDisk.has(id));
      assert.deepEqual(missing, [], 'every acknowledged event is on disk');
      const report = await verifyAudit(dataDir);
      assert.equal(report.ok, true, report.failure?.message);
      assert.ok(report.files.length > 1, 'the run crosses rotations');
    }
    await withLog(dataDir, 40_000, async (log) => { await log.record(runEvent(1, { request_id: 'after-the-crashes' })); });
    const report = await verifyAudit(dataDir);
    assert.equal(report.ok, true, report.failure?.message);
    assert.equal(report.tornTail, null);
  });
});
