// SandboxBackend on the Docker Engine API (dockerode). Each run gets its own ContainerRun, which
// owns that container from create (or from the warm pool) to remove; this class owns the
// connection to the engine and the pool. The runtime (runc or gVisor's runsc) is settled once,
// before the first container: the pool is made then, since every container it starts needs it.
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import type { Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import Docker from 'dockerode';
import { DEFAULT_DOCKER_SOCKET } from '../../config/index.js';
import { AppError, UnavailableError } from '../../errors.js';
import type { Limits, RunJob, RunOptions, RunOutcome, RuntimeChoice, SandboxBackend, SandboxRuntime, SandboxState } from '../types.js';
import { LABEL, POOL_ROLE, RUN_ROLE, type SandboxSettings } from './container-options.js';
import { ContainerRun, type EngineLogger } from './container-run.js';
import { engineError, statusCodeOf } from './engine-errors.js';
import type { ResultBounds } from './outcome.js';
import { WarmPool } from './pool.js';
import { EngineWatch } from './engine-watch.js';
import { settleRemoval } from './started-container.js';
import { resolveRuntime, RuntimeMissingError } from './runtime.js';

const PING_TIMEOUT_MS = 3000;
const INFO_TIMEOUT_MS = 5000;
const RETRY_AFTER_S = 5;
const MISSING_RUNTIME_RETRY_AFTER_S = 30;
export const DEFAULT_RESULT_BOUNDS: ResultBounds = { maxBytes: 1048576, maxDepth: 128 };

export interface DockerBackendOptions {
  image: string;
  /** `auto` (default): runsc (gVisor) where the engine lists it, runc otherwise; or either by name. */
  runtime?: RuntimeChoice;
  /** Written into every container's labels, so leftovers are found per data_dir. */
  dataDir: string;
  /** Distinguishes this process's containers from an earlier (crashed) one's. */
  instanceId: string;
  socketPath?: string;
  logger?: EngineLogger;
  /** How large and deep a result may be; past them the run is `failed` (ResultTooLarge, ResultTooDeep). */
  resultBounds?: ResultBounds;
  /**
   * A watchdog process beside this one removes this instance's containers should it die without
   * closing (SIGKILL): `npm start` wants one; tests that build many backends in one process do not.
   */
  orphanWatchdog?: boolean;
  /** Containers started ahead of runs (README "Speed"); without it, or with size 0, every run starts its own. */
  pool?: {
    size: number;
    /** The cgroup limits containers start with before any run: the admin defaults in force. */
    startLimits: () => Limits;
    /** A container idle longer is replaced (default 5 minutes). */
    maxIdleMs?: number;
  };
}

const silentLogger: EngineLogger = { warn: () => undefined };

// @types/dockerode leaves out the agent the modem accepts and ping's options.
type DockerOptionsWithAgent = Docker.DockerOptions & { agent: http.Agent };
type Pingable = { ping(options: { abortSignal: AbortSignal }): Promise<unknown> };

/** What exists once the runtime is settled: the settings every container is created with, and the pool. */
interface Sandboxes {
  settings: SandboxSettings;
  pool: WarmPool | null;
}

export class DockerBackend implements SandboxBackend {
  // Our own agent, so close() can end every kept-alive connection to the engine.
  private readonly agent = new http.Agent({ keepAlive: true });
  private readonly docker: Docker;
  private readonly logger: EngineLogger;
  private readonly resultBounds: ResultBounds;
  private readonly watch: EngineWatch;
  /** Runs in progress and containers still being removed after their run answered. */
  private readonly runs = new Set<Promise<unknown>>();
  private sandboxes: Sandboxes | null = null;
  private settling: Promise<Sandboxes> | null = null;
  private warmUpWanted = false;
  private closed = false;
  private readonly watchdog: ChildProcess | null;

  constructor(private readonly options: DockerBackendOptions) {
    // An explicit socket path: the modem would otherwise read DOCKER_HOST from the environment.
    const dockerOptions: DockerOptionsWithAgent = { socketPath: options.socketPath ?? DEFAULT_DOCKER_SOCKET, agent: this.agent };
    this.docker = new Docker(dockerOptions);
    this.logger = options.logger ?? silentLogger;
    this.resultBounds = options.resultBounds ?? DEFAULT_RESULT_BOUNDS;
    this.watch = new EngineWatch(this.docker, options.dataDir, () => void this.reapAfterEngineRestart(), this.logger);
    this.watchdog = options.orphanWatchdog ? this.startWatchdog(dockerOptions.socketPath as string) : null;
  }

  async run(job: RunJob, options: RunOptions = {}): Promise<RunOutcome> {
    if (this.closed) throw this.shuttingDown();
    const { settings, pool } = this.sandboxes ?? await this.settle().catch((error: unknown) => {
      // Found missing only now (the engine did not answer at start-up): the operator's to fix, not a bug.
      throw error instanceof RuntimeMissingError ? new UnavailableError(error.message, MISSING_RUNTIME_RETRY_AFTER_S) : error;
    });
    if (this.closed) throw this.shuttingDown();
    this.watch.start();
    const containerRun = new ContainerRun({ docker: this.docker, settings, logger: this.logger, pool, watch: this.watch, resultBounds: this.resultBounds }, job, options);
    const outcome = containerRun.execute();
    const settled = Promise.allSettled([outcome, containerRun.removed]);
    this.runs.add(settled);
    void settled.then(() => this.runs.delete(settled));
    return outcome;
  }

  async resolveRuntime(): Promise<SandboxRuntime> {
    return (this.sandboxes ?? await this.settle()).settings.runtime;
  }

  runtimeInForce(): SandboxRuntime | null {
    return this.sandboxes?.settings.runtime ?? null;
  }

  warmUp(): void {
    this.warmUpWanted = true;
    if (!this.closed) this.watch.start();
    if (this.sandboxes === null) {
      // The pool starts once the runtime is settled; an engine that does not answer yet is retried by the next run.
      this.settle().catch(() => undefined);
    } else if (!this.closed) {
      this.sandboxes.pool?.start();
    }
  }

  async ping(): Promise<boolean> {
    try {
      await (this.docker as unknown as Pingable).ping({ abortSignal: AbortSignal.timeout(PING_TIMEOUT_MS) });
      return true;
    } catch {
      return false;
    }
  }

  state(): SandboxState {
    return { runtime: this.runtimeInForce(), image: this.options.image, pool: this.poolStats() };
  }

  /** The pool's fill; before the runtime is settled the pool is not made yet: its configured size, empty. */
  private poolStats(): SandboxState['pool'] {
    if (this.sandboxes !== null) return this.sandboxes.pool?.stats ?? null;
    const size = this.options.pool?.size ?? 0;
    return size > 0 && !this.closed ? { size, ready: 0, starting: 0 } : null;
  }

  async imagePresent(): Promise<boolean> {
    try {
      await this.docker.getImage(this.options.image).inspect();
      return true;
    } catch (error) {
      if (statusCodeOf(error) === 404) return false;
      throw engineError(error, this.options.image);
    }
  }

  /**
   * Removes run and pool containers of this data_dir left by an earlier process (another instance id).
   * Containers of other data_dirs (other services or test processes on the same engine) are not ours.
   */
  removeLeftovers(): Promise<number> {
    return this.reap((info) => info.Labels[LABEL.instance] !== this.options.instanceId);
  }

  /**
   * After an engine restart, this process's containers that no longer run (the pool's, and runs'
   * whose removal failed while the engine was away) are removed, with any earlier process's.
   */
  private async reapAfterEngineRestart(): Promise<void> {
    try {
      const count = await this.reap((info) => info.Labels[LABEL.instance] !== this.options.instanceId || info.State !== 'running');
      if (count > 0) this.logger.warn('the container engine is back; removed sandboxes its restart left', { count });
    } catch (error) {
      this.logger.warn('the container engine is back but its leftovers could not be removed', { error: String(error) });
    }
  }

  private async reap(isLeftover: (info: Docker.ContainerInfo) => boolean): Promise<number> {
    let found: Docker.ContainerInfo[];
    try {
      found = await this.docker.listContainers({ all: true, filters: { label: [`${LABEL.dataDir}=${this.options.dataDir}`] } });
    } catch (error) {
      throw engineError(error, this.options.image);
    }
    const ours = new Set([RUN_ROLE, POOL_ROLE]);
    const leftovers = found.filter((info) => ours.has(info.Labels[LABEL.role] ?? '') && isLeftover(info));
    await Promise.all(leftovers.map((info) => this.removeContainer(info.Id)));
    return leftovers.length;
  }

  /**
   * Removes the warm pool, lets the runs in progress finish (each is bounded by its timeout) and their
   * containers be removed, then closes the engine connections.
   */
  async close(): Promise<void> {
    this.closed = true;
    this.watch.close();
    await this.sandboxes?.pool?.close();
    while (this.runs.size > 0) await Promise.allSettled([...this.runs]);
    this.agent.destroy();
    // Everything is removed: the watchdog has nothing left to do.
    this.watchdog?.kill();
  }

  /** Detached, in a process group of its own: a Ctrl-C meant for the service does not reach it. */
  private startWatchdog(socketPath: string): ChildProcess {
    const script = fileURLToPath(new URL('./watchdog.js', import.meta.url));
    const child = spawn(process.execPath, [script, socketPath, `${LABEL.instance}=${this.options.instanceId}`], { stdio: ['pipe', 'ignore', 'inherit'], detached: true });
    child.once('error', (error) => this.logger.warn('the orphan watchdog did not start; a SIGKILLed service leaves its containers until its next start', { error: String(error) }));
    child.unref();
    (child.stdin as Socket | null)?.unref();
    return child;
  }

  private async removeContainer(id: string): Promise<void> {
    const container = this.docker.getContainer(id);
    try {
      await container.remove({ force: true, v: true });
    } catch (error) {
      await settleRemoval(container, error).catch((failure: unknown) => {
        throw engineError(failure, this.options.image);
      });
    }
  }

  /** Settles the runtime once; a failed attempt (engine unreachable) leaves the next call to try again. */
  private settle(): Promise<Sandboxes> {
    this.settling ??= resolveRuntime(this.docker, this.options.runtime ?? 'auto', INFO_TIMEOUT_MS).then(
      (runtime) => {
        this.sandboxes = this.sandboxesUnder(runtime);
        return this.sandboxes;
      },
      (error: unknown) => {
        this.settling = null;
        throw this.runtimeError(error);
      },
    );
    return this.settling;
  }

  private sandboxesUnder(runtime: SandboxRuntime): Sandboxes {
    const { image, instanceId, dataDir, pool: poolOptions } = this.options;
    const settings: SandboxSettings = { image, runtime, instanceId, dataDir };
    // After close() there is nothing to warm: a pool made now would outlive the backend.
    const pool = poolOptions && poolOptions.size > 0 && !this.closed ? new WarmPool({ docker: this.docker, settings, logger: this.logger }, poolOptions) : null;
    if (this.warmUpWanted) pool?.start();
    return { settings, pool };
  }

  private runtimeError(error: unknown): unknown {
    if (error instanceof RuntimeMissingError) return error;
    const mapped = engineError(error, this.options.image);
    if (mapped instanceof AppError) return mapped;
    return new UnavailableError(`the container engine did not say which runtimes it has (${String(error)})`, RETRY_AFTER_S);
  }

  private shuttingDown(): UnavailableError {
    return new UnavailableError('the sandbox backend is shutting down', RETRY_AFTER_S);
  }
}

export function createDockerBackend(options: DockerBackendOptions): DockerBackend {
  return new DockerBackend(options);
}
