// The on-disk format of the audit log: one JSON object per line, fields in a fixed order, each line
// ending in `,"hash":"<sha256 hex>"}`. The hash covers the line's own bytes before that field (with
// the closing brace), so it is checked against exactly what is on disk and never depends on how a
// JSON library orders or spells a re-serialisation. The writer and the verifier share this module.
import { createHash } from 'node:crypto';
import type { AuditEntry, AuditEvent } from './types.js';

/** prev_hash of the very first line of a log. */
export const GENESIS_HASH = '0'.repeat(64);

export const FILE_PATTERN = /^audit-(\d{6,})\.log$/;

export function auditFileName(index: number): string {
  return `audit-${String(index).padStart(6, '0')}.log`;
}

export function auditFileIndex(name: string): number | null {
  const match = FILE_PATTERN.exec(name);
  return match ? Number(match[1]) : null;
}

/** Where the chain stands: the last line's sequence number and hash. */
export interface ChainPoint {
  seq: number;
  hash: string;
}

/**
 * The first line of every file. It is not an event (no seq of its own): it names the file before and
 * the chain point where that file ended, so the verifier can tell a missing or swapped file from a
 * missing line, and so a file verified alone knows where its chain starts.
 */
export interface AuditHeader {
  audit_log: 1;
  file: string;
  created: string;
  prev_file: string | null;
  prev_seq: number;
  prev_hash: string;
  hash: string;
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Serialises `body` (without hash) and appends the hash of that serialisation. */
function sealed(body: object): { text: string; hash: string } {
  const canonical = JSON.stringify(body);
  const hash = sha256Hex(canonical);
  return { text: `${canonical.slice(0, -1)},"hash":"${hash}"}`, hash };
}

export function encodeEntry(time: string, seq: number, event: AuditEvent, prevHash: string): { text: string; hash: string } {
  // Fixed key order: the line reads the same for every event, and optional fields are null, not absent.
  return sealed({
    time,
    seq,
    event: event.event,
    actor: event.actor ?? null,
    request_id: event.request_id ?? null,
    skill: event.skill ?? null,
    version: event.version ?? null,
    decision: event.decision ?? null,
    outcome: event.outcome,
    duration_ms: event.duration_ms ?? null,
    details: event.details ?? {},
    prev_hash: prevHash,
  });
}

export function encodeHeader(file: string, created: string, prevFile: string | null, prev: ChainPoint): { text: string; hash: string } {
  return sealed({ audit_log: 1, file, created, prev_file: prevFile, prev_seq: prev.seq, prev_hash: prev.hash });
}

const HASH_SUFFIX = /,"hash":"([0-9a-f]{64})"\}$/;

export type ParsedLine =
  | { kind: 'entry'; entry: AuditEntry; hashValid: boolean }
  | { kind: 'header'; header: AuditHeader; hashValid: boolean }
  | { kind: 'invalid'; reason: string };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const isHash = (value: unknown): value is string => typeof value === 'string' && /^[0-9a-f]{64}$/.test(value);
const isSeq = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0;

/** Parses one line (without its newline) and checks its own hash; the chain is the caller's business. */
export function parseLine(text: string): ParsedLine {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { kind: 'invalid', reason: `bad JSON (${(error as Error).message})` };
  }
  if (!isRecord(value)) return { kind: 'invalid', reason: 'bad JSON (not an object)' };
  const suffix = HASH_SUFFIX.exec(text);
  const hashValid = suffix !== null && suffix[1] === value.hash && sha256Hex(`${text.slice(0, suffix.index)}}`) === value.hash;
  if ('audit_log' in value) {
    if (value.audit_log !== 1 || typeof value.file !== 'string' || !isSeq(value.prev_seq) || !isHash(value.prev_hash)
      || !(value.prev_file === null || typeof value.prev_file === 'string')) {
      return { kind: 'invalid', reason: 'malformed file header' };
    }
    return { kind: 'header', header: value as unknown as AuditHeader, hashValid };
  }
  if (!isSeq(value.seq) || !isHash(value.prev_hash) || typeof value.event !== 'string' || typeof value.time !== 'string') {
    return { kind: 'invalid', reason: 'not an audit entry (seq, time, event or prev_hash missing)' };
  }
  return { kind: 'entry', entry: value as unknown as AuditEntry, hashValid };
}
