// A small tmpfs of its own, for tests that fill a disk: data_dir on it runs out of space without
// touching the machine's disks. Mounting needs root (as `npm run setup` does).
import { execFile } from 'node:child_process';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import supertest from 'supertest';
import type { TestService } from './service.js';

const execFileAsync = promisify(execFile);

export interface Tmpfs {
  dir: string;
  /** Writes a file until the tmpfs refuses more (ENOSPC); returns its path. */
  fill(): Promise<string>;
  unmount(): Promise<void>;
}

/** Why tmpfs tests cannot run here, or null when they can. */
export function tmpfsUnavailable(): string | null {
  return process.getuid?.() === 0 ? null : 'mounting a tmpfs needs root';
}

export async function mountTmpfs(sizeMb: number): Promise<Tmpfs> {
  const dir = await mkdtemp(path.join(tmpdir(), 'te-tmpfs-'));
  await execFileAsync('mount', ['-t', 'tmpfs', '-o', `size=${sizeMb}m,mode=0755`, 'tmpfs', dir]);
  return {
    dir,
    async fill() {
      const filler = path.join(dir, `filler-${Date.now()}`);
      const handle = await open(filler, 'w');
      const block = Buffer.alloc(64 * 1024, 0x61);
      try {
        for (;;) await handle.write(block);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
        // The last pages: smaller writes until not even one byte fits.
        for (let size = 32 * 1024; size >= 1; size = Math.floor(size / 2)) {
          try {
            for (;;) await handle.write(Buffer.alloc(size, 0x61));
          } catch (inner) {
            if ((inner as NodeJS.ErrnoException).code !== 'ENOSPC') throw inner;
          }
        }
      } finally {
        await handle.close();
      }
      return filler;
    },
    async unmount() {
      await execFileAsync('umount', ['-l', dir]);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface StorageRefusal {
  /** Every answer to the creates sent, in order: 201 until the disk refused, then the 503. */
  answers: supertest.Response[];
}

/**
 * On a full disk: creates skills until one answers 503 and readiness agrees (the first lines may
 * still fit in a page the audit file already holds). Fails when the service never refuses.
 */
export async function createUntilRefused(t: TestService, maxTries = 300): Promise<StorageRefusal> {
  const answers: supertest.Response[] = [];
  for (let i = 0; i < maxTries; i += 1) {
    const res = await t.as('author').post('/v1/skills/create').send({
      name: `fill-${i}`, version: '1.0.0', description: `fills the disk ${'x'.repeat(400)}`, runtime: 'python3', entrypoint: 'main.py', handler: 'run',
      code: 'def run(inp):\n    return {"ok": True}\n',
    });
    answers.push(res);
    if (res.status === 503 && (await supertest(t.service.app).get('/readyz')).status === 503) return { answers };
  }
  throw new Error(`the service still took creates after ${maxTries} tries on a full disk`);
}
