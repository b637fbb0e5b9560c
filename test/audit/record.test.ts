import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { AuditLockedError, createAuditLog, REDACTED, verifyAudit } from '../../server/src/audit/index.js';
import { allEntries, auditFiles, readLines, removeDir, runEvent, tempDataDir, withLog } from './helpers.js';

const BIG = 64 * 1024 * 1024;
const FIELDS = ['time', 'seq', 'event', 'actor', 'request_id', 'skill', 'version', 'decision', 'outcome', 'duration_ms', 'details', 'prev_hash', 'hash'];

describe('audit log: recording', () => {
  let dataDir: string;
  beforeEach(async () => { dataDir = await tempDataDir(); });
  afterEach(async () => { await removeDir(dataDir); });

  it('has the line in the file by the time record() resolves', async () => {
    await withLog(dataDir, BIG, async (log) => {
      await log.record(runEvent(1, { request_id: 'the-first' }));
      const [file] = await auditFiles(dataDir);
      const text = await readFile(file!, 'utf8');
      assert.match(text, /"request_id":"the-first"/);
      assert.ok(text.endsWith('\n'));
    });
  });

  it('writes one JSON line per event, fields in a fixed order, hashed over the line before its hash', async () => {
    await withLog(dataDir, BIG, async (log) => {
      await log.record(runEvent(1));
      await log.record({ event: 'auth.refused', actor: null, request_id: 'r2', outcome: 'unauthorized' });
    });
    const lines = await readLines((await auditFiles(dataDir))[0]!);
    assert.equal(lines.length, 3, 'a header and two entries');
    const [first, second] = [JSON.parse(lines[1]!), JSON.parse(lines[2]!)];
    assert.deepEqual(Object.keys(first), FIELDS);
    assert.deepEqual(Object.keys(second), FIELDS);
    assert.equal(first.seq, 1);
    assert.equal(second.seq, 2);
    assert.equal(second.prev_hash, first.hash);
    assert.equal(second.skill, null, 'absent optional fields are null');
    assert.deepEqual(second.details, {});
    const body = lines[2]!.replace(/,"hash":"[0-9a-f]{64}"\}$/, '}');
    assert.equal(createHash('sha256').update(body).digest('hex'), second.hash);
  });

  it('keeps a valid chain, in file order, when 1000 events are recorded in parallel', async () => {
    await withLog(dataDir, BIG, async (log) => {
      await Promise.all(Array.from({ length: 1000 }, (_, i) => log.record(runEvent(i))));
    });
    const entries = await allEntries(dataDir);
    assert.deepEqual(entries.map((e) => e.seq), Array.from({ length: 1000 }, (_, i) => i + 1));
    assert.equal(new Set(entries.map((e) => e.request_id)).size, 1000);
    const report = await verifyAudit(dataDir);
    assert.equal(report.ok, true, report.failure?.message);
    assert.equal(report.entries, 1000);
  });

  it('resumes the chain where the disk ends after a restart', async () => {
    await withLog(dataDir, BIG, async (log) => { await log.record(runEvent(1)); await log.record(runEvent(2)); });
    await withLog(dataDir, BIG, async (log) => { await log.record(runEvent(3)); });
    const entries = await allEntries(dataDir);
    assert.deepEqual(entries.map((e) => e.seq), [1, 2, 3]);
    assert.equal(entries[2]!.prev_hash, entries[1]!.hash);
    assert.equal((await auditFiles(dataDir)).length, 1, 'a restart appends to the same file');
    assert.equal((await verifyAudit(dataDir)).ok, true);
  });

  it('rotates at rotate_bytes into a file whose header names the file and hash before it', async () => {
    await withLog(dataDir, 1500, async (log) => {
      for (let i = 1; i <= 12; i++) await log.record(runEvent(i));
    });
    const files = await auditFiles(dataDir);
    assert.ok(files.length >= 3, `expected rotation, got ${files.length} file(s)`);
    for (const file of files) assert.ok((await readFile(file)).length <= 1500, `${path.basename(file)} is within rotate_bytes`);
    const lastOfFirst = JSON.parse((await readLines(files[0]!)).at(-1)!);
    const [header, firstEntry] = (await readLines(files[1]!)).map((line) => JSON.parse(line));
    assert.equal(header.file, path.basename(files[1]!));
    assert.equal(header.prev_file, path.basename(files[0]!));
    assert.equal(header.prev_hash, lastOfFirst.hash);
    assert.equal(firstEntry.prev_hash, lastOfFirst.hash, 'the chain runs on across files');
    assert.equal(firstEntry.seq, lastOfFirst.seq + 1);
    assert.equal((await verifyAudit(dataDir)).ok, true);
  });

  it('keeps a skill name or details holding "\\n{…}" inside their own line: no line can be forged', async () => {
    const forged = '{"time":"2026-01-01T00:00:00.000Z","seq":2,"event":"promote","actor":"admin"}';
    await withLog(dataDir, BIG, async (log) => {
      await log.record(runEvent(1, { skill: `evil\n${forged}\r\n`, details: { note: `x\n${forged}`, ['k\ney']: 1, ctl: '\u0000\u001b[2J\u2028' } }));
      await log.record(runEvent(2));
    });
    const lines = await readLines((await auditFiles(dataDir))[0]!);
    assert.equal(lines.length, 3, 'a header and exactly two entries');
    const entry = JSON.parse(lines[1]!);
    assert.equal(entry.skill, `evil\n${forged}\r\n`, 'the value survives intact, escaped');
    assert.equal(entry.details.note, `x\n${forged}`);
    assert.ok(!lines.some((line) => line.startsWith('{"time":"2026-01-01')));
    assert.equal((await verifyAudit(dataDir)).ok, true);
  });

  it('never writes a key or secret: secret-named details and bearer values are redacted', async () => {
    await withLog(dataDir, BIG, async (log) => {
      await log.record(runEvent(1, {
        request_id: 'Bearer sk-live-123',
        details: { api_key: 'sk-live-123', key_id: 'ops', headers: { Authorization: 'Basic b3BzOnB3' }, nested: [{ password: 'hunter2', Token: 't' }], note: 'bearer sk-live-123' },
      }));
    });
    const text = await readFile((await auditFiles(dataDir))[0]!, 'utf8');
    for (const secret of ['sk-live-123', 'b3BzOnB3', 'hunter2', '"t"']) assert.ok(!text.includes(secret), `${secret} must not be in the log`);
    const [entry] = await allEntries(dataDir);
    assert.deepEqual(entry!.details, { api_key: REDACTED, key_id: 'ops', headers: { Authorization: REDACTED }, nested: [{ password: REDACTED, Token: REDACTED }], note: REDACTED });
    assert.equal(entry!.request_id, REDACTED);
  });

  it('refuses a record after close, and a second open of the same folder while one is open', async () => {
    const log = await createAuditLog({ dataDir, rotateBytes: BIG });
    try {
      await assert.rejects(createAuditLog({ dataDir, rotateBytes: BIG }), AuditLockedError);
    } finally {
      await log.close();
    }
    await assert.rejects(log.record(runEvent(1)), /closed/);
    await log.close(); // idempotent
    await withLog(dataDir, BIG, async (reopened) => { await reopened.record(runEvent(1)); });
  });
});
