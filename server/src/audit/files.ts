// Reading audit files: which files there are, their lines newest first (query, start-up) and oldest
// first (verification). Lines are split on the byte 0x0A, which never occurs inside a multi-byte
// UTF-8 sequence, and decoded only once whole, so a chunk boundary cannot split a character.
import { createReadStream } from 'node:fs';
import { open, readdir, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { auditFileIndex } from './line.js';

export interface AuditFile {
  index: number;
  name: string;
  path: string;
}

const NEWLINE = 0x0a;
const CHUNK_BYTES = 64 * 1024;

/** The audit files of `dir`, oldest first; other files (the lock, editor leftovers) are ignored. */
export async function listAuditFiles(dir: string): Promise<AuditFile[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const files: AuditFile[] = [];
  for (const name of names) {
    const index = auditFileIndex(name);
    if (index !== null) files.push({ index, name, path: path.join(dir, name) });
  }
  return files.sort((a, b) => a.index - b.index);
}

export interface BackwardLine {
  text: string;
  /** Byte offset of the line's first byte. */
  offset: number;
  /** The bytes after the file's last newline: a torn write, or '' when the file ends cleanly. */
  tail: boolean;
}

/**
 * Yields the file's lines from the last to the first. The first item is always the unterminated
 * tail (usually empty); a reader that stops early reads only the chunks it needed.
 */
export async function* linesBackward(filePath: string): AsyncGenerator<BackwardLine> {
  const handle = await open(filePath, 'r');
  try {
    let pos = (await handle.stat()).size;
    let pending: Buffer = Buffer.alloc(0);
    let tail = true;
    while (pos > 0) {
      const length = Math.min(CHUNK_BYTES, pos);
      pos -= length;
      const chunk = Buffer.alloc(length);
      await readFully(handle, chunk, pos);
      let buffer = Buffer.concat([chunk, pending]);
      for (let cut = buffer.lastIndexOf(NEWLINE); cut >= 0; cut = buffer.lastIndexOf(NEWLINE)) {
        yield { text: buffer.subarray(cut + 1).toString('utf8'), offset: pos + cut + 1, tail };
        tail = false;
        buffer = buffer.subarray(0, cut);
      }
      pending = buffer;
    }
    // Whatever precedes the first newline (or the whole file, when it has none) is a line too.
    yield { text: pending.toString('utf8'), offset: 0, tail };
  } finally {
    await handle.close();
  }
}

async function readFully(handle: FileHandle, buffer: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < buffer.length) {
    const { bytesRead } = await handle.read(buffer, done, buffer.length - done, position + done);
    if (bytesRead === 0) throw new Error('audit file shrank while it was read');
    done += bytesRead;
  }
}

export interface ForwardLine {
  text: string;
  /** 1-based, as an editor shows it. */
  number: number;
  /** False only for bytes after the last newline: a line whose write never finished. */
  terminated: boolean;
}

/** Yields the file's lines from the first to the last, streaming. */
export async function* linesForward(filePath: string): AsyncGenerator<ForwardLine> {
  let pending: Buffer = Buffer.alloc(0);
  let number = 0;
  for await (const chunk of createReadStream(filePath, { highWaterMark: CHUNK_BYTES }) as AsyncIterable<Buffer>) {
    let buffer = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    for (let cut = buffer.indexOf(NEWLINE); cut >= 0; cut = buffer.indexOf(NEWLINE)) {
      yield { text: buffer.subarray(0, cut).toString('utf8'), number: ++number, terminated: true };
      buffer = buffer.subarray(cut + 1);
    }
    pending = Buffer.from(buffer);
  }
  if (pending.length > 0) yield { text: pending.toString('utf8'), number: ++number, terminated: false };
}
