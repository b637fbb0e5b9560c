// Mutual exclusion for the store's writers: an in-process queue, so this process's requests take
// turns without polling, and a file lock (proper-lockfile), so a second process on the same data_dir
// — a second instance, a script — waits too. A lock left by a killed process goes stale and is taken.
import lockfile from 'proper-lockfile';
import type { Logger } from 'winston';

/** How long a lock whose owner stopped refreshing it counts as held (proper-lockfile's minimum is 5 s). */
const STALE_MS = 5000;

export class StoreLock {
  private tail: Promise<void> = Promise.resolve();

  constructor(
    private readonly target: string,
    private readonly lockPath: string,
    private readonly logger: Logger,
  ) {}

  /** Runs `work` while holding both locks; the next caller starts only after it settles. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    const previous = this.tail;
    let release!: () => void;
    this.tail = new Promise<void>((resolve) => (release = resolve));
    try {
      await previous;
      const unlock = await lockfile.lock(this.target, {
        realpath: false,
        lockfilePath: this.lockPath,
        stale: STALE_MS,
        // Long enough to outlast a stale lock of a killed process (STALE_MS) and a slow writer.
        retries: { retries: 60, factor: 1.2, minTimeout: 10, maxTimeout: 500 },
        // The default throws from a timer and kills the process; a compromised lock (the event loop
        // stalled past STALE_MS) is worth a loud log line, not a crash in the middle of a write.
        onCompromised: (error) => this.logger.error('store lock compromised', { lock: this.lockPath, error: error.message }),
      });
      try {
        return await work();
      } finally {
        await unlock().catch((error: unknown) => this.logger.warn('could not release the store lock', { error: String(error) }));
      }
    } finally {
      release();
    }
  }
}
