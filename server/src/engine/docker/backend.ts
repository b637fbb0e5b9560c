// SandboxBackend on the Docker Engine API (dockerode). Each run gets its own ContainerRun, which
// owns that container from create (or from the warm pool) to remove; this class owns the
// connection to the engine and the pool.
import http from 'node:http';
import Docker from 'dockerode';
import { UnavailableError } from '../../errors.js';
import type { Limits, RunJob, RunOptions, RunOutcome, SandboxBackend, SandboxState } from '../types.js';
import { LABEL, POOL_ROLE, RUN_ROLE, type SandboxSettings } from './container-options.js';
import { ContainerRun, type EngineLogger } from './container-run.js';
import { engineError, statusCodeOf } from './engine-errors.js';
import type { ResultBounds } from './outcome.js';
import { WarmPool } from './pool.js';

const DEFAULT_SOCKET_PATH = '/var/run/docker.sock';
const PING_TIMEOUT_MS = 3000;
export const DEFAULT_RESULT_BOUNDS: ResultBounds = { maxBytes: 1048576, maxDepth: 128 };

export interface DockerBackendOptions {
  image: string;
  /** OCI runtime: `runc` (default) or `runsc` (gVisor). */
  runtime?: string;
  /** Written into every container's labels, so leftovers are found per data_dir. */
  dataDir: string;
  /** Distinguishes this process's containers from an earlier (crashed) one's. */
  instanceId: string;
  socketPath?: string;
  logger?: EngineLogger;
  /** How large and deep a result may be; past them the run is `failed` (ResultTooLarge, ResultTooDeep). */
  resultBounds?: ResultBounds;
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

export class DockerBackend implements SandboxBackend {
  // Our own agent, so close() can end every kept-alive connection to the engine.
  private readonly agent = new http.Agent({ keepAlive: true });
  private readonly docker: Docker;
  private readonly settings: SandboxSettings;
  private readonly logger: EngineLogger;
  private readonly pool: WarmPool | null;
  private readonly resultBounds: ResultBounds;
  /** Runs in progress and containers still being removed after their run answered. */
  private readonly runs = new Set<Promise<unknown>>();
  private closed = false;

  constructor(options: DockerBackendOptions) {
    // An explicit socket path: the modem would otherwise read DOCKER_HOST from the environment.
    const dockerOptions: DockerOptionsWithAgent = { socketPath: options.socketPath ?? DEFAULT_SOCKET_PATH, agent: this.agent };
    this.docker = new Docker(dockerOptions);
    this.settings = { image: options.image, runtime: options.runtime ?? 'runc', instanceId: options.instanceId, dataDir: options.dataDir };
    this.logger = options.logger ?? silentLogger;
    this.resultBounds = options.resultBounds ?? DEFAULT_RESULT_BOUNDS;
    const context = { docker: this.docker, settings: this.settings, logger: this.logger };
    this.pool = options.pool && options.pool.size > 0 ? new WarmPool(context, options.pool) : null;
  }

  async run(job: RunJob, options: RunOptions = {}): Promise<RunOutcome> {
    if (this.closed) throw new UnavailableError('the sandbox backend is shutting down', 5);
    const containerRun = new ContainerRun({ docker: this.docker, settings: this.settings, logger: this.logger, pool: this.pool, resultBounds: this.resultBounds }, job, options);
    const outcome = containerRun.execute();
    const settled = Promise.allSettled([outcome, containerRun.removed]);
    this.runs.add(settled);
    void settled.then(() => this.runs.delete(settled));
    return outcome;
  }

  warmUp(): void {
    if (!this.closed) this.pool?.start();
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
    return { runtime: this.settings.runtime, image: this.settings.image, pool: this.pool?.stats ?? null };
  }

  async imagePresent(): Promise<boolean> {
    try {
      await this.docker.getImage(this.settings.image).inspect();
      return true;
    } catch (error) {
      if (statusCodeOf(error) === 404) return false;
      throw engineError(error, this.settings.image);
    }
  }

  /**
   * Removes run and pool containers of this data_dir left by an earlier process (another instance id).
   * Containers of other data_dirs (other services or test processes on the same engine) are not ours.
   */
  async removeLeftovers(): Promise<number> {
    let found: Docker.ContainerInfo[];
    try {
      found = await this.docker.listContainers({ all: true, filters: { label: [`${LABEL.dataDir}=${this.settings.dataDir}`] } });
    } catch (error) {
      throw engineError(error, this.settings.image);
    }
    const ours = new Set([RUN_ROLE, POOL_ROLE]);
    const leftovers = found.filter((info) => ours.has(info.Labels[LABEL.role] ?? '') && info.Labels[LABEL.instance] !== this.settings.instanceId);
    await Promise.all(leftovers.map((info) => this.removeContainer(info.Id)));
    return leftovers.length;
  }

  /**
   * Removes the warm pool, lets the runs in progress finish (each is bounded by its timeout) and their
   * containers be removed, then closes the engine connections.
   */
  async close(): Promise<void> {
    this.closed = true;
    await this.pool?.close();
    while (this.runs.size > 0) await Promise.allSettled([...this.runs]);
    this.agent.destroy();
  }

  private async removeContainer(id: string): Promise<void> {
    try {
      await this.docker.getContainer(id).remove({ force: true, v: true });
    } catch (error) {
      if (statusCodeOf(error) !== 404) throw engineError(error, this.settings.image);
    }
  }
}

export function createDockerBackend(options: DockerBackendOptions): DockerBackend {
  return new DockerBackend(options);
}
