// SandboxBackend on the Docker Engine API (dockerode). Each run gets its own ContainerRun, which
// owns that container from create to remove; this class owns the connection to the engine.
import http from 'node:http';
import Docker from 'dockerode';
import { UnavailableError } from '../../errors.js';
import type { RunJob, RunOptions, RunOutcome, SandboxBackend } from '../types.js';
import { LABEL, RUN_ROLE, type SandboxSettings } from './container-options.js';
import { ContainerRun, type EngineLogger } from './container-run.js';
import { engineError, statusCodeOf } from './engine-errors.js';

const DEFAULT_SOCKET_PATH = '/var/run/docker.sock';
const PING_TIMEOUT_MS = 3000;

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
  private readonly runs = new Set<Promise<RunOutcome>>();
  private closed = false;

  constructor(options: DockerBackendOptions) {
    // An explicit socket path: the modem would otherwise read DOCKER_HOST from the environment.
    const dockerOptions: DockerOptionsWithAgent = { socketPath: options.socketPath ?? DEFAULT_SOCKET_PATH, agent: this.agent };
    this.docker = new Docker(dockerOptions);
    this.settings = { image: options.image, runtime: options.runtime ?? 'runc', instanceId: options.instanceId, dataDir: options.dataDir };
    this.logger = options.logger ?? silentLogger;
  }

  async run(job: RunJob, options: RunOptions = {}): Promise<RunOutcome> {
    if (this.closed) throw new UnavailableError('the sandbox backend is shutting down', 5);
    const run = new ContainerRun({ docker: this.docker, settings: this.settings, logger: this.logger }, job, options).execute();
    this.runs.add(run);
    try {
      return await run;
    } finally {
      this.runs.delete(run);
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
   * Removes run containers of this data_dir left by an earlier process (another instance id).
   * Containers of other data_dirs (other services or test processes on the same engine) are not ours.
   */
  async removeLeftovers(): Promise<number> {
    let found: Docker.ContainerInfo[];
    try {
      found = await this.docker.listContainers({
        all: true,
        filters: { label: [`${LABEL.dataDir}=${this.settings.dataDir}`, `${LABEL.role}=${RUN_ROLE}`] },
      });
    } catch (error) {
      throw engineError(error, this.settings.image);
    }
    const leftovers = found.filter((info) => info.Labels[LABEL.instance] !== this.settings.instanceId);
    await Promise.all(leftovers.map((info) => this.removeContainer(info.Id)));
    return leftovers.length;
  }

  /** Lets the runs in progress finish (each is bounded by its timeout), then closes the engine connections. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.runs]);
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
