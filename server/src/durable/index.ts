// Durable file writes, shared by the store, the audit log, the limit policy and the key file.
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import path from 'node:path';

/** Makes a file's creation, rename or removal durable: the directory entry needs its own sync. */
export async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Atomic replacement of a file: readers see the old content or the new, never half of either, also
 * after a crash (the data is fsynced before the rename, the folder after it).
 */
export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const handle = await open(temporary, 'wx', 0o644);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, file);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
  await fsyncDir(path.dirname(file));
}

/** A data_dir the service cannot create, write or sync in; the message says which and why. */
export class UnusableDirError extends Error {}

/**
 * Creates `dir` one level at a time (Node's recursive mkdir spins forever where mkdir answers
 * ENOENT under an existing parent, as under /proc), then proves a file can be written, synced and
 * removed there.
 */
export async function ensureWritableDir(dir: string, what = 'data_dir'): Promise<void> {
  const missing: string[] = [];
  for (let at = path.resolve(dir); ; at = path.dirname(at)) {
    try {
      if (!(await stat(at)).isDirectory()) throw new UnusableDirError(`${what} ${dir} is not usable: ${at} is not a directory`);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || path.dirname(at) === at) throw describeDirError(error, dir, what);
      missing.unshift(at);
    }
  }
  const probe = path.join(dir, `.write-probe-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    for (const level of missing) await mkdir(level).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error;
    });
    const handle = await open(probe, 'wx', 0o600);
    try {
      await handle.writeFile('probe');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rm(probe);
  } catch (error) {
    throw describeDirError(error, dir, what);
  }
}

function describeDirError(error: unknown, dir: string, what: string): Error {
  if (error instanceof UnusableDirError) return error;
  const { code, message } = error as NodeJS.ErrnoException;
  return new UnusableDirError(`${what} ${dir} is not usable: ${code ? `${message}` : String(error)}`);
}
