import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { appendFile, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createHash } from 'node:crypto';
import { verifyAudit, type VerifyReport } from '../../server/src/audit/index.js';
import { PROJECT_ROOT } from '../../server/src/paths.js';
import { allEntries, auditFiles, readLines, removeDir, runEvent, tempDataDir, withLog, writeLines, writeLog } from './helpers.js';

const run = promisify(execFile);
const WRAPPER = path.join(PROJECT_ROOT, 'scripts', 'verify-audit');

function assertFailure(report: VerifyReport, file: string, line: number, kind: string): void {
  assert.equal(report.ok, false, 'tampering must be detected');
  assert.equal(path.basename(report.failure!.file), path.basename(file), report.failure!.message);
  assert.equal(report.failure!.line, line, report.failure!.message);
  assert.equal(report.failure!.kind, kind, report.failure!.message);
}

/** Re-seals an edited line as a forger who knows the format would: its own hash matches again. */
function reseal(line: string): string {
  const body = line.replace(/,"hash":"[0-9a-f]{64}"\}$/, '}');
  return `${body.slice(0, -1)},"hash":"${createHash('sha256').update(body).digest('hex')}"}`;
}

describe('audit log: verification within one file', () => {
  let dataDir: string;
  let file: string;
  beforeEach(async () => {
    dataDir = await tempDataDir();
    await writeLog(dataDir, 10);
    [file] = await auditFiles(dataDir) as [string];
  });
  afterEach(async () => { await removeDir(dataDir); });
  // Line 1 is the file header; the entry with seq n is on line n + 1.

  it('passes an intact log, given the data_dir, the audit folder or the file', async () => {
    for (const target of [dataDir, path.join(dataDir, 'audit'), file]) {
      const report = await verifyAudit(target);
      assert.equal(report.ok, true, report.failure?.message);
      assert.equal(report.entries, 10);
      assert.equal(report.head?.seq, 10);
    }
  });

  it('names the line after a removed line: sequence gap and broken link', async () => {
    const lines = await readLines(file);
    lines.splice(5, 1); // seq 5
    await writeLines(file, lines);
    const report = await verifyAudit(dataDir);
    assertFailure(report, file, 6, 'sequence_gap');
    assert.match(report.failure!.message, /expected seq 5, found 6/);
    assert.match(report.failure!.message, /broken link/);
  });

  it('names an edited line by its hash mismatch', async () => {
    const lines = await readLines(file);
    lines[5] = lines[5]!.replace('"outcome":"succeeded"', '"outcome":"failed"');
    await writeLines(file, lines);
    assertFailure(await verifyAudit(dataDir), file, 6, 'hash_mismatch');
  });

  it('names the line after an edited line whose own hash was recomputed: broken link', async () => {
    const lines = await readLines(file);
    lines[5] = reseal(lines[5]!.replace('"actor":"ops"', '"actor":"someone-else"'));
    await writeLines(file, lines);
    assertFailure(await verifyAudit(dataDir), file, 7, 'broken_link');
  });

  it('names reordered lines', async () => {
    const lines = await readLines(file);
    [lines[5], lines[6]] = [lines[6]!, lines[5]!];
    await writeLines(file, lines);
    const report = await verifyAudit(dataDir);
    assertFailure(report, file, 6, 'sequence_gap');
    assert.match(report.failure!.message, /expected seq 5, found 6 \(lines removed or reordered\)/);
  });

  it('names a line that is not JSON', async () => {
    const lines = await readLines(file);
    lines[3] = '{"time": oops';
    await writeLines(file, lines);
    assertFailure(await verifyAudit(dataDir), file, 4, 'bad_json');
  });

  it('names a removed file header', async () => {
    await writeLines(file, (await readLines(file)).slice(1));
    assertFailure(await verifyAudit(dataDir), file, 1, 'bad_header');
  });

  it('accepts an unfinished last line as a torn write, and start-up cuts it away and records the repair', async () => {
    const torn = '{"time":"2026-11-25T00:00:00.000Z","seq":11,"event":"run","actor":"o';
    await appendFile(file, torn);
    const before = await verifyAudit(dataDir);
    assert.equal(before.ok, true, before.failure?.message);
    assert.deepEqual(before.tornTail, { file, line: 12, bytes: torn.length });

    await withLog(dataDir, 64 * 1024 * 1024, async (log) => { await log.record(runEvent(11)); });
    assert.ok(!(await readFile(file, 'utf8')).includes(torn));
    const entries = await allEntries(dataDir);
    assert.deepEqual(entries.map((e) => e.seq), Array.from({ length: 12 }, (_, i) => i + 1));
    assert.equal(entries[10]!.event, 'audit.recovered');
    assert.equal((entries[10]!.details as { torn_bytes: number }).torn_bytes, torn.length);
    const after = await verifyAudit(dataDir);
    assert.equal(after.ok, true, after.failure?.message);
    assert.equal(after.tornTail, null);
  });

  it('treats a complete but damaged last line as tampering, and start-up refuses to extend it', async () => {
    const lines = await readLines(file);
    lines[10] = lines[10]!.replace('"outcome":"succeeded"', '"outcome":"failed"');
    await writeLines(file, lines);
    assertFailure(await verifyAudit(dataDir), file, 11, 'hash_mismatch');
    await assert.rejects(withLog(dataDir, 1 << 20, async () => undefined), /damaged/);
  });
});

describe('audit log: verification across rotation', () => {
  let dataDir: string;
  let files: string[];
  beforeEach(async () => {
    dataDir = await tempDataDir();
    await writeLog(dataDir, 30, 2000);
    files = await auditFiles(dataDir);
    assert.ok(files.length >= 4, `expected several files, got ${files.length}`);
  });
  afterEach(async () => { await removeDir(dataDir); });

  it('passes the intact rotated log', async () => {
    const report = await verifyAudit(dataDir);
    assert.equal(report.ok, true, report.failure?.message);
    assert.equal(report.entries, 30);
    assert.equal(report.files.length, files.length);
  });

  it('names the next file\'s header when the last line of a file is removed', async () => {
    await writeLines(files[0]!, (await readLines(files[0]!)).slice(0, -1));
    const report = await verifyAudit(dataDir);
    assertFailure(report, files[1]!, 1, 'broken_link');
  });

  it('names the second line of a file when its first entry is removed', async () => {
    const lines = await readLines(files[1]!);
    lines.splice(1, 1);
    await writeLines(files[1]!, lines);
    assertFailure(await verifyAudit(dataDir), files[1]!, 2, 'sequence_gap');
  });

  it('names the file after a removed file, and a log whose first files are gone', async () => {
    await rm(files[1]!);
    const report = await verifyAudit(dataDir);
    assertFailure(report, files[2]!, 1, 'missing_file');
    assert.match(report.failure!.message, new RegExp(path.basename(files[1]!)));

    await rm(files[0]!);
    assertFailure(await verifyAudit(dataDir), files[2]!, 1, 'missing_file');
  });

  it('names a file whose content was swapped with another\'s', async () => {
    const [a, b] = [await readFile(files[1]!), await readFile(files[2]!)];
    await writeFile(files[1]!, b);
    await writeFile(files[2]!, a);
    assertFailure(await verifyAudit(dataDir), files[1]!, 1, 'bad_header');
  });
});

describe('scripts/verify-audit', () => {
  let dataDir: string;
  before(async () => {
    dataDir = await tempDataDir();
    await writeLog(dataDir, 5);
  });
  after(async () => { await removeDir(dataDir); });

  it('exits 0 for an intact log, run from another working directory with a relative path', async () => {
    const { stdout } = await run(WRAPPER, [path.relative(os.tmpdir(), dataDir)], { cwd: os.tmpdir() });
    assert.match(stdout, /^ok: 5 entries in 1 file\(s\); last seq 5/);
  });

  it('exits 1 naming the file, the line and what is wrong', async () => {
    const [file] = await auditFiles(dataDir) as [string];
    const lines = await readLines(file);
    lines.splice(2, 1);
    await writeLines(file, lines);
    const failed = await run(WRAPPER, [dataDir], { cwd: '/' }).then(() => null, (error: { code: number; stderr: string }) => error);
    assert.ok(failed, 'a tampered log must not exit 0');
    assert.equal(failed.code, 1);
    assert.match(failed.stderr, new RegExp(`FAIL ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3: sequence gap`));
  });

  it('exits 2 when there is nothing to verify', async () => {
    const failed = await run(WRAPPER, [path.join(dataDir, 'nope')]).then(() => null, (error: { code: number; stderr: string }) => error);
    assert.equal(failed?.code, 2);
    assert.match(failed.stderr, /ENOENT|no audit files/);
  });
});
