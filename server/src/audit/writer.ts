// The durable end of the audit log: appends finished lines to the active file and acknowledges
// them only once they are synced. Lines that arrive while a synced write is in flight wait and go
// out together in the next one (group commit), so concurrent callers share the cost of a sync, and
// a single flush loop keeps file order equal to the order in which lines were appended.
import { constants } from 'node:fs';
import { open, truncate, unlink, type FileHandle } from 'node:fs/promises';
import { StorageUnavailableError } from '../errors.js';
import path from 'node:path';
import { linesBackward, listAuditFiles, type AuditFile } from './files.js';
import { auditFileName, encodeHeader, GENESIS_HASH, parseLine, sha256Hex, type ChainPoint } from './line.js';
import { fsyncDir } from '../durable/index.js';

export interface WriterOptions {
  dir: string;
  /** A file is rotated before a line would take it past this size (a file holds at least one entry). */
  rotateBytes: number;
}

/** What start-up had to repair after a crash: never an acknowledged line, see resumeActiveFile. */
export interface Recovery {
  file: string;
  torn_bytes: number;
  torn_sha256: string;
  removed_empty_file: boolean;
}

export class AuditLogDamagedError extends Error {}

interface ActiveFile {
  handle: FileHandle;
  index: number;
  name: string;
  size: number;
  hasEntries: boolean;
}

interface PendingLine {
  text: string;
  point: ChainPoint;
}

interface Batch {
  lines: PendingLine[];
  done: Promise<void>;
  resolve: () => void;
  reject: (error: Error) => void;
}

function newBatch(): Batch {
  let resolve!: () => void;
  let reject!: (error: Error) => void;
  const done = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { lines: [], done, resolve, reject };
}

// O_DSYNC: each write returns only once its data is on disk, as write + fdatasync would, but in one
// call, which saves a thread-pool round trip per batch (measured: about 50 µs of ~350).
const APPEND_FLAGS = constants.O_WRONLY | constants.O_APPEND | constants.O_DSYNC;

async function writeFully(handle: FileHandle, data: Buffer): Promise<void> {
  for (let done = 0; done < data.length;) {
    const { bytesWritten } = await handle.write(data, done, data.length - done);
    done += bytesWritten;
  }
}

async function createAuditFile(dir: string, index: number, prevFile: string | null, prev: ChainPoint): Promise<ActiveFile> {
  const name = auditFileName(index);
  const header = Buffer.from(`${encodeHeader(name, new Date().toISOString(), prevFile, prev).text}\n`);
  const handle = await open(path.join(dir, name), APPEND_FLAGS | constants.O_CREAT | constants.O_EXCL, 0o640);
  try {
    await writeFully(handle, header);
    await fsyncDir(dir);
  } catch (error) {
    await handle.close();
    throw error;
  }
  return { handle, index, name, size: header.length, hasEntries: false };
}

interface Resumed {
  file: ActiveFile;
  head: ChainPoint;
  recovery: Recovery | null;
}

/**
 * Finds where the chain ends on disk. A line is acknowledged only after the sync that covers it,
 * so bytes after the newest file's last newline are a write cut short by a crash and were never
 * acknowledged: they are truncated away (and reported, so the service records the repair). A file
 * left without one complete line (a crash while rotating) is removed. A complete last line whose
 * hash does not match is not a crash artefact: start-up refuses to extend a damaged chain.
 */
async function resumeActiveFile(dir: string, files: AuditFile[]): Promise<Resumed> {
  let recovery: Recovery | null = null;
  for (let newest = files.at(-1); newest; files.pop(), newest = files.at(-1)) {
    let tail = '';
    let last: { text: string; offset: number } | null = null;
    for await (const line of linesBackward(newest.path)) {
      if (line.tail) tail = line.text;
      else {
        last = line;
        break;
      }
    }
    const truncated = tail.length > 0;
    if (truncated) {
      const keptBytes = last ? last.offset + Buffer.byteLength(last.text) + 1 : 0;
      await truncate(newest.path, keptBytes);
      recovery = { file: newest.name, torn_bytes: Buffer.byteLength(tail), torn_sha256: sha256Hex(tail), removed_empty_file: false };
    }
    if (!last) {
      await unlink(newest.path);
      await fsyncDir(dir);
      recovery = { file: newest.name, torn_bytes: recovery?.torn_bytes ?? 0, torn_sha256: recovery?.torn_sha256 ?? sha256Hex(''), removed_empty_file: true };
      continue;
    }
    const parsed = parseLine(last.text);
    if (parsed.kind === 'invalid' || !parsed.hashValid) {
      throw new AuditLogDamagedError(`the last line of ${newest.path} is damaged (${parsed.kind === 'invalid' ? parsed.reason : 'hash mismatch'}); `
        + 'run scripts/verify-audit on the audit folder and move the damaged file aside before starting again');
    }
    const head = parsed.kind === 'entry'
      ? { seq: parsed.entry.seq, hash: parsed.entry.hash }
      : { seq: parsed.header.prev_seq, hash: parsed.header.prev_hash };
    const handle = await open(newest.path, APPEND_FLAGS);
    // The truncation must be on disk before anything is appended after it.
    if (truncated) await handle.datasync();
    const size = (await handle.stat()).size;
    return { file: { handle, index: newest.index, name: newest.name, size, hasEntries: parsed.kind === 'entry' }, head, recovery };
  }
  const genesis = { seq: 0, hash: GENESIS_HASH };
  return { file: await createAuditFile(dir, 1, null, genesis), head: genesis, recovery };
}

export class AuditFileWriter {
  private queue = newBatch();
  private flushing: Promise<void> | null = null;
  private failure: StorageUnavailableError | null = null;
  private closed = false;
  /** Counts recoveries: a line chained before one may point at lines that never reached the disk. */
  private currentEpoch = 0;

  private constructor(
    private readonly dir: string,
    private readonly rotateBytes: number,
    private file: ActiveFile,
    /** The last line that is on disk; the next file's header names it. */
    private written: ChainPoint,
  ) {}

  static async open(options: WriterOptions): Promise<{ writer: AuditFileWriter; head: ChainPoint; recovery: Recovery | null }> {
    const { file, head, recovery } = await resumeActiveFile(options.dir, await listAuditFiles(options.dir));
    return { writer: new AuditFileWriter(options.dir, options.rotateBytes, file, head), head, recovery };
  }

  /** Why the log refuses lines, or null while it takes them. */
  get failed(): StorageUnavailableError | null {
    return this.failure;
  }

  get epoch(): number {
    return this.currentEpoch;
  }

  /**
   * Queues a finished line, chained in `epoch` (its chain point already assigned); resolves once it
   * is synced to disk. A line chained before the last recovery is refused: what it follows is gone.
   */
  append(text: string, point: ChainPoint, epoch: number): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.closed) return Promise.reject(new Error('the audit log is closed'));
    if (epoch !== this.currentEpoch) return Promise.reject(new StorageUnavailableError('the audit log recovered from a failed write; this line was chained before it'));
    this.queue.lines.push({ text, point });
    this.flushing ??= this.flushLoop();
    return this.queue.done;
  }

  private async flushLoop(): Promise<void> {
    // Let lines appended in the same tick join the first batch.
    await Promise.resolve();
    while (this.queue.lines.length > 0) {
      const batch = this.queue;
      this.queue = newBatch();
      try {
        await this.writeBatch(batch.lines);
        batch.resolve();
      } catch (error) {
        // After a failed write or sync the file's state is unknown (and lines queued behind chain to
        // lines that may be missing): fail closed rather than acknowledge what may not be there.
        this.failure = new StorageUnavailableError(`the audit log could not be written: ${(error as Error).message}`, { since: new Date().toISOString() });
        batch.reject(this.failure);
        if (this.queue.lines.length > 0) this.queue.reject(this.failure);
        this.queue = newBatch();
      }
    }
    this.flushing = null;
  }

  private async writeBatch(lines: PendingLine[]): Promise<void> {
    let start = 0;
    let pendingBytes = 0;
    for (const [i, line] of lines.entries()) {
      const lineBytes = Buffer.byteLength(line.text) + 1;
      // Rotation happens between lines, after the lines before are synced, so an older file never
      // ends torn; a line larger than rotateBytes still gets a file of its own.
      if (this.file.size + pendingBytes + lineBytes > this.rotateBytes && (this.file.hasEntries || i > start)) {
        await this.writeLines(lines.slice(start, i));
        await this.rotate();
        start = i;
        pendingBytes = 0;
      }
      pendingBytes += lineBytes;
    }
    await this.writeLines(lines.slice(start));
  }

  private async writeLines(lines: PendingLine[]): Promise<void> {
    const last = lines.at(-1);
    if (!last) return;
    const data = Buffer.from(`${lines.map((line) => line.text).join('\n')}\n`);
    await writeFully(this.file.handle, data); // durable on return: O_DSYNC
    this.file.size += data.length;
    this.file.hasEntries = true;
    this.written = last.point;
  }

  private async rotate(): Promise<void> {
    const previous = this.file;
    await previous.handle.close();
    this.file = await createAuditFile(this.dir, previous.index + 1, previous.name, this.written);
  }

  /**
   * After a failed write: cuts the files back to the last line known to be on disk (a write that
   * failed may have left part of a batch, and a failed rotation an empty file), resumes there as
   * start-up does, and takes lines again. The caller's next line is the proof that the disk takes
   * writes again; if it fails, the log is failed once more.
   */
  async recover(): Promise<ChainPoint> {
    if (!this.failure) return this.written;
    while (this.flushing) await this.flushing;
    await this.file.handle.close().catch(() => undefined);
    await truncate(path.join(this.dir, this.file.name), this.file.size);
    for (const later of (await listAuditFiles(this.dir)).filter((file) => file.index > this.file.index)) await unlink(later.path);
    const { file, head } = await resumeActiveFile(this.dir, await listAuditFiles(this.dir));
    this.file = file;
    this.written = head;
    this.failure = null;
    this.currentEpoch += 1;
    return head;
  }

  /** Waits for every queued line to be synced, then closes the file. */
  async close(): Promise<void> {
    this.closed = true;
    try {
      while (this.flushing) await this.flushing;
    } finally {
      await this.file.handle.close();
    }
  }
}
