// The warm pool: sandbox containers created, attached and started ahead of time, each waiting on
// stdin for exactly one job. A run takes one, the pool starts a replacement in the background, and
// the run removes the one it took: a container never serves two runs (SPEC §5, "never reused").
//
// Limits: a container is started with the cgroup limits of the latest run (the admin defaults
// before the first); a run that asks for other memory/cpus/pids gets them through `container.update`
// before its job goes in, or, when the engine refuses or is slow (or the runtime, as gVisor's, has
// no update), a cold container of its own.
// Everything else a container is created with (image, runtime, tmpfs, ulimits, walls) is the same for
// every run, and the guard's policy travels in the job, so a warm container fits any run.
import type Docker from 'dockerode';
import { limitsUpdatable, POOL_ROLE, sameCgroupLimits, type CgroupLimits, type SandboxSettings } from './container-options.js';
import type { EngineLogger } from './container-run.js';
import { StartedContainer } from './started-container.js';

export interface PoolOptions {
  /** How many containers wait ahead of runs. */
  size: number;
  /** Limits of the containers started before any run took one: the admin defaults in force. */
  startLimits: () => CgroupLimits;
  /** A container that waited longer is replaced, so image and configuration changes reach the pool. */
  maxIdleMs?: number;
  /** Containers started at once: more would compete with the runs for the engine. */
  parallelStarts?: number;
}

export interface PoolContext {
  docker: Docker;
  settings: SandboxSettings;
  logger: EngineLogger;
}

const DEFAULT_MAX_IDLE_MS = 5 * 60_000;
const DEFAULT_PARALLEL_STARTS = 2;
const MAX_SWEEP_INTERVAL_MS = 30_000;
// An update takes about 20 ms here; beyond this the run is better off with a cold container.
const UPDATE_TIMEOUT_MS = 2_000;
// Replacements start this long after a take: a start is CPU-heavy for the engine, and on 2 cores
// one started at once slowed the run it replaces from about 17 to 27 ms; a run answers in ~20 ms.
const REFILL_DELAY_MS = 100;
// After a failed start (engine unreachable, image missing), the next try waits 0.5 s, 1 s, ... 30 s.
const FIRST_RETRY_MS = 500;
const MAX_RETRY_MS = 30_000;

function cgroupPart(limits: CgroupLimits): CgroupLimits {
  return { memory_mb: limits.memory_mb, cpus: limits.cpus, pids: limits.pids };
}

async function withDeadline<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

export class WarmPool {
  private readonly ready: StartedContainer[] = [];
  /** Starts and removals in flight: close() waits for them. */
  private readonly inFlight = new Set<Promise<void>>();
  private readonly maxIdleMs: number;
  private readonly parallelStarts: number;
  private starting = 0;
  private failures = 0;
  private latestLimits: CgroupLimits | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private refillTimer: NodeJS.Timeout | null = null;
  private sweepTimer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    private readonly context: PoolContext,
    private readonly options: PoolOptions,
  ) {
    this.maxIdleMs = options.maxIdleMs ?? DEFAULT_MAX_IDLE_MS;
    this.parallelStarts = options.parallelStarts ?? DEFAULT_PARALLEL_STARTS;
  }

  get stats(): { size: number; ready: number; starting: number } {
    return { size: this.options.size, ready: this.ready.length, starting: this.starting };
  }

  /** Fills the pool and keeps it fresh; idempotent. The timers never keep the process alive. */
  start(): void {
    if (this.closed || this.sweepTimer !== null) return;
    this.sweepTimer = setInterval(() => this.sweep(), Math.min(MAX_SWEEP_INTERVAL_MS, Math.max(100, this.maxIdleMs / 2)));
    this.sweepTimer.unref();
    this.fill();
  }

  /**
   * A waiting container under `limits`, now owned by the caller (who removes it after its run), or
   * null: the caller starts a cold one. Never throws.
   */
  async take(limits: CgroupLimits): Promise<StartedContainer | null> {
    if (this.closed) return null;
    this.latestLimits = cgroupPart(limits);
    this.start();
    const container = this.takeWaiting();
    if (this.refillTimer === null) {
      this.refillTimer = setTimeout(() => {
        this.refillTimer = null;
        this.fill();
      }, REFILL_DELAY_MS);
      this.refillTimer.unref();
    }
    if (container === null) return null;
    if (sameCgroupLimits(container.limits, limits)) return container;
    if (!limitsUpdatable(this.context.settings.runtime)) {
      // Replaced, so the refill starts containers with the limits runs now ask for.
      this.discard(container);
      return null;
    }
    try {
      await withDeadline(container.applyLimits(limits), UPDATE_TIMEOUT_MS, 'updating the limits of a warm container');
      return container;
    } catch (error) {
      this.context.logger.warn('a warm container could not take the run\'s limits; the run starts its own', { error: String(error) });
      this.discard(container);
      return null;
    }
  }

  /** Stops refilling and removes every container the pool holds; idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.sweepTimer !== null) clearInterval(this.sweepTimer);
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    if (this.refillTimer !== null) clearTimeout(this.refillTimer);
    this.sweepTimer = this.retryTimer = this.refillTimer = null;
    for (const container of this.ready.splice(0)) this.discard(container);
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /** The oldest container that is still fresh and waiting; the others are discarded on the way. */
  private takeWaiting(): StartedContainer | null {
    for (let container = this.ready.shift(); container !== undefined; container = this.ready.shift()) {
      if (container.waiting && container.ageMs <= this.maxIdleMs) return container;
      this.discard(container);
    }
    return null;
  }

  private fill(): void {
    while (!this.closed && this.retryTimer === null && this.starting < this.parallelStarts && this.ready.length + this.starting < this.options.size) {
      this.starting += 1;
      this.track(this.startOne());
    }
  }

  private async startOne(): Promise<void> {
    const limits = this.latestLimits ?? cgroupPart(this.options.startLimits());
    const { docker, settings } = this.context;
    try {
      const container = await StartedContainer.start(docker, settings, limits, POOL_ROLE);
      this.failures = 0;
      if (this.closed) {
        this.discard(container);
        return;
      }
      this.ready.push(container);
      container.whenBroken(() => this.replaceBroken(container));
    } catch (error) {
      this.backOff(error);
    } finally {
      this.starting -= 1;
      this.fill();
    }
  }

  /** A container that exited or wrote before its job is of no use: out, and another one in. */
  private replaceBroken(container: StartedContainer): void {
    const at = this.ready.indexOf(container);
    if (at < 0) return;
    this.ready.splice(at, 1);
    this.context.logger.warn('a warm container stopped waiting for its job; it is replaced', { container: container.id });
    this.discard(container);
    this.fill();
  }

  /** Containers waiting longer than maxIdleMs are replaced, also when no run comes. */
  private sweep(): void {
    const stale = this.ready.filter((container) => container.ageMs > this.maxIdleMs);
    if (stale.length === 0) return;
    for (const container of stale) {
      this.ready.splice(this.ready.indexOf(container), 1);
      this.discard(container);
    }
    this.fill();
  }

  /** No hot loop against an engine that is down: starts pause, longer after each failure in a row. */
  private backOff(error: unknown): void {
    this.failures += 1;
    const delayMs = Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** (this.failures - 1));
    if (this.failures === 1 || delayMs === MAX_RETRY_MS) {
      this.context.logger.warn('could not start a warm container; runs start their own meanwhile', { error: String(error), retry_in_ms: delayMs });
    }
    if (this.closed || this.retryTimer !== null) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.fill();
    }, delayMs);
    this.retryTimer.unref();
  }

  private discard(container: StartedContainer): void {
    this.track(
      container.remove().catch((error: unknown) => {
        this.context.logger.warn('could not remove a warm container; it is removed at the next start', { container: container.id, error: String(error) });
      }),
    );
  }

  private track(work: Promise<void>): void {
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
  }
}
