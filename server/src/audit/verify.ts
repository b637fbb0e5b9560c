// Checks an audit log end to end: every line's own hash, the sequence, the link to the line
// before, and across rotation each file's header against the file before it. Stops at the first
// bad line and names it. Bytes after the newest file's last newline are a write a crash cut short
// (never acknowledged, see writer.ts) and are reported as such, not as tampering; a complete line
// that does not check out is always an error.
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { linesForward, listAuditFiles, type AuditFile } from './files.js';
import { auditFileIndex, parseLine, type ChainPoint } from './line.js';

export type VerifyProblemKind =
  | 'bad_json' | 'hash_mismatch' | 'sequence_gap' | 'broken_link' | 'bad_header' | 'missing_file';

export interface VerifyFailure {
  file: string;
  /** 1-based line number within `file`. */
  line: number;
  kind: VerifyProblemKind;
  message: string;
}

export interface VerifyReport {
  ok: boolean;
  files: string[];
  entries: number;
  /** Where the verified chain ends: anchor this elsewhere to detect a truncated log later. */
  head: ChainPoint | null;
  tornTail: { file: string; line: number; bytes: number } | null;
  failure: VerifyFailure | null;
}

class Bad extends Error {
  constructor(readonly line: number, readonly kind: VerifyProblemKind, message: string) {
    super(message);
  }
}

const short = (hash: string): string => `${hash.slice(0, 12)}…`;

interface FileExpectation {
  /** The file before this one, or null when this is the first file checked. */
  previous: { name: string; head: ChainPoint } | null;
  /** Whether a file before this one may legitimately be absent (a single file given alone). */
  standalone: boolean;
  newest: boolean;
}

interface FileResult {
  head: ChainPoint | null;
  entries: number;
  torn: { line: number; bytes: number } | null;
}

function checkHeader(text: string, file: AuditFile, expect: FileExpectation): ChainPoint {
  const parsed = parseLine(text);
  if (parsed.kind !== 'header') {
    throw new Bad(1, 'bad_header', `the first line is not a file header${parsed.kind === 'invalid' ? ` (${parsed.reason})` : ' (an entry: the header was removed)'}`);
  }
  const header = parsed.header;
  if (!parsed.hashValid) throw new Bad(1, 'hash_mismatch', 'hash mismatch: the file header was edited');
  if (header.file !== file.name) throw new Bad(1, 'bad_header', `the header names the file ${header.file}: files were renamed or swapped`);
  const start = { seq: header.prev_seq, hash: header.prev_hash };
  const previous = expect.previous;
  if (previous) {
    if (header.prev_file !== previous.name) {
      throw new Bad(1, 'missing_file', `the header says the previous file is ${header.prev_file ?? '(none)'}, but the file before is ${previous.name}`);
    }
    if (start.seq !== previous.head.seq || start.hash !== previous.head.hash) {
      throw new Bad(1, 'broken_link', `broken link: the header continues from seq ${start.seq} (${short(start.hash)}) but ${previous.name} ends at seq ${previous.head.seq} (${short(previous.head.hash)})`);
    }
  } else if (header.prev_file !== null && !expect.standalone) {
    throw new Bad(1, 'missing_file', `the log continues from ${header.prev_file} (seq ${header.prev_seq}), which is missing`);
  }
  return start;
}

function checkEntry(text: string, number: number, before: ChainPoint): ChainPoint {
  const parsed = parseLine(text);
  if (parsed.kind === 'invalid') throw new Bad(number, 'bad_json', parsed.reason);
  if (parsed.kind === 'header') throw new Bad(number, 'bad_header', 'a file header in the middle of a file');
  const entry = parsed.entry;
  const problems: Array<[VerifyProblemKind, string]> = [];
  if (!parsed.hashValid) problems.push(['hash_mismatch', 'hash mismatch: the line was edited']);
  const expected = before.seq + 1;
  if (entry.seq > expected) problems.push(['sequence_gap', `sequence gap: expected seq ${expected}, found ${entry.seq} (lines removed or reordered)`]);
  if (entry.seq < expected) problems.push(['sequence_gap', `sequence out of order: expected seq ${expected}, found ${entry.seq} (lines reordered or repeated)`]);
  if (entry.prev_hash !== before.hash) problems.push(['broken_link', `broken link: prev_hash ${short(entry.prev_hash)} is not the hash of the line before (${short(before.hash)})`]);
  const first = problems[0];
  if (first) throw new Bad(number, first[0], problems.map(([, message]) => message).join('; '));
  return { seq: entry.seq, hash: entry.hash };
}

async function verifyFile(file: AuditFile, expect: FileExpectation): Promise<FileResult> {
  let head: ChainPoint | null = expect.previous?.head ?? null;
  let entries = 0;
  let torn: FileResult['torn'] = null;
  let lines = 0;
  for await (const line of linesForward(file.path)) {
    lines = line.number;
    if (!line.terminated) {
      if (!expect.newest) throw new Bad(line.number, 'bad_json', 'an unfinished last line in a file that is not the newest');
      torn = { line: line.number, bytes: Buffer.byteLength(line.text) };
      break;
    }
    if (line.number === 1) head = checkHeader(line.text, file, expect);
    else if (head) {
      head = checkEntry(line.text, line.number, head);
      entries++;
    }
  }
  // An empty newest file is a rotation a crash interrupted before its header was written.
  if (lines === 0 && !expect.newest) throw new Bad(1, 'bad_header', 'the file is empty');
  return { head, entries, torn };
}

/** The audit files that `target` names: one file, an audit folder, or a data_dir holding audit/. */
async function resolveTarget(target: string): Promise<{ files: AuditFile[]; standalone: boolean }> {
  const info = await stat(target);
  if (info.isFile()) {
    const name = path.basename(target);
    return { files: [{ index: auditFileIndex(name) ?? 0, name, path: target }], standalone: true };
  }
  let files = await listAuditFiles(target);
  if (files.length === 0) files = await listAuditFiles(path.join(target, 'audit'));
  if (files.length === 0) throw new Error(`no audit files (audit-NNNNNN.log) in ${target} or ${path.join(target, 'audit')}`);
  // A gap in the numbering needs no check of its own: the next file's header names the missing one.
  return { files, standalone: false };
}

/** Verifies the log at `target`; throws only when there is nothing to verify (no such path, no audit files). */
export async function verifyAudit(target: string): Promise<VerifyReport> {
  const { files, standalone } = await resolveTarget(target);
  const report: VerifyReport = { ok: true, files: files.map((f) => f.path), entries: 0, head: null, tornTail: null, failure: null };
  let previous: FileExpectation['previous'] = null;
  for (const [i, file] of files.entries()) {
    try {
      const result = await verifyFile(file, { previous, standalone, newest: i === files.length - 1 });
      report.entries += result.entries;
      if (result.torn) report.tornTail = { file: file.path, ...result.torn };
      if (result.head) {
        report.head = result.head;
        previous = { name: file.name, head: result.head };
      }
    } catch (error) {
      if (!(error instanceof Bad)) throw error;
      report.ok = false;
      report.failure = { file: file.path, line: error.line, kind: error.kind, message: error.message };
      return report;
    }
  }
  return report;
}
