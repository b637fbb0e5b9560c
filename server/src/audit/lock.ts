// One writer per audit folder: two processes appending to the same chain would interleave their
// sequence numbers and break it. The lock is a file naming its owner; a lock whose process is gone
// (a crash, a SIGKILL) is taken over, so a restart after a crash needs no manual step.
import { hostname } from 'node:os';
import { open, readFile, rm } from 'node:fs/promises';
import path from 'node:path';

const heldInThisProcess = new Set<string>();

interface LockOwner {
  pid: number;
  host: string;
}

export class AuditLockedError extends Error {}

async function readOwner(lockPath: string): Promise<LockOwner | null> {
  try {
    const owner = JSON.parse(await readFile(lockPath, 'utf8')) as Partial<LockOwner>;
    return typeof owner.pid === 'number' && typeof owner.host === 'string' ? { pid: owner.pid, host: owner.host } : null;
  } catch {
    return null; // unreadable: written by a process that died between creating and filling it
  }
}

function ownerIsAlive(owner: LockOwner): boolean {
  // Another host's process cannot be probed: only an operator can say it is gone.
  if (owner.host !== hostname()) return true;
  // Our own pid, yet not held by us: a restarted container whose previous life had the same pid.
  if (owner.pid === process.pid) return false;
  try {
    process.kill(owner.pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function createLockFile(dir: string, lockPath: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      const handle = await open(lockPath, 'wx');
      try {
        await handle.writeFile(JSON.stringify({ pid: process.pid, host: hostname() }));
      } finally {
        await handle.close();
      }
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw error;
      const owner = await readOwner(lockPath);
      if (owner && ownerIsAlive(owner)) {
        throw new AuditLockedError(`the audit log in ${dir} is in use by process ${owner.pid} on ${owner.host} (${lockPath}); remove that file only if that process is gone`);
      }
      await rm(lockPath, { force: true });
    }
  }
}

/** Takes the folder's lock; resolves to its release. */
export async function lockAuditDir(dir: string): Promise<() => Promise<void>> {
  const lockPath = path.resolve(dir, '.lock');
  if (heldInThisProcess.has(lockPath)) throw new AuditLockedError(`the audit log in ${dir} is already open in this process`);
  // Reserved before the first await, so a second open in this process cannot take it for stale.
  heldInThisProcess.add(lockPath);
  try {
    await createLockFile(dir, lockPath);
  } catch (error) {
    heldInThisProcess.delete(lockPath);
    throw error;
  }
  return async () => {
    try {
      await rm(lockPath, { force: true });
    } finally {
      heldInThisProcess.delete(lockPath);
    }
  };
}
