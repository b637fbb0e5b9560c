// One run, one container, one owner: create -> attach -> start -> job on stdin -> drain stdout and
// stderr -> exit -> remove. Whatever happens on the way, `release()` in the finally kills and
// removes the container and destroys the attach socket.
import { randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';
import type Docker from 'dockerode';
import type { RunJob, RunOptions, RunOutcome } from '../types.js';
import { runContainerOptions, type SandboxSettings } from './container-options.js';
import { StreamDemuxer } from './demux.js';
import { engineError, statusCodeOf } from './engine-errors.js';
import { classify, EXIT_KILLED, type KillReason } from './outcome.js';
import { RunOutput } from './output.js';

export interface EngineLogger {
  warn(message: string, meta?: Record<string, unknown>): unknown;
}

export interface ContainerRunContext {
  docker: Docker;
  settings: SandboxSettings;
  logger: EngineLogger;
}

export class ContainerRun {
  private container: Docker.Container | null = null;
  private attachSocket: Duplex | null = null;
  private timer: NodeJS.Timeout | null = null;
  private killedFor: KillReason | null = null;
  private killing: Promise<void> = Promise.resolve();
  private readonly nonce = randomBytes(16).toString('hex');
  private readonly output: RunOutput;

  constructor(
    private readonly context: ContainerRunContext,
    private readonly job: RunJob,
    options: RunOptions,
  ) {
    this.output = new RunOutput(job.limits.output_bytes, this.nonce, options.onLog, (error) =>
      context.logger.warn('a log listener failed; the run goes on', { error: String(error) }));
  }

  async execute(): Promise<RunOutcome> {
    const { docker, settings } = this.context;
    try {
      const container = await docker.createContainer(runContainerOptions(settings, this.job.limits));
      this.container = container;
      // Attached before start, so not a byte of output is missed, with stdin on the same socket.
      const socket = (await container.attach({ stream: true, hijack: true, stdin: true, stdout: true, stderr: true })) as Duplex;
      this.attachSocket = socket;
      const drained = this.drain(socket);
      await container.start();
      const handedOverAt = performance.now();
      // The kill comes from outside the container: nothing the skill does can stop or delay it.
      this.timer = setTimeout(() => this.kill('timeout'), this.job.limits.timeout_ms);
      const exited = container.wait() as Promise<{ StatusCode: number }>;
      socket.end(this.jobPayload());
      const [{ StatusCode: exitCode }] = await Promise.all([exited, drained]);
      const durationMs = Math.round(performance.now() - handedOverAt);
      this.stopTimer();
      const output = this.output.finish();
      const oomKilled = exitCode === EXIT_KILLED && this.killedFor === null && output.frame === null && (await this.oomKilled(container));
      return classify({ limits: this.job.limits, output, exitCode, killedFor: this.killedFor, oomKilled, durationMs });
    } catch (error) {
      throw engineError(error, settings.image);
    } finally {
      await this.release();
    }
  }

  /** The job as the harness reads it (runner-image/harness/PROTOCOL.md). */
  private jobPayload(): Buffer {
    const { files, entrypoint, handler, input, policy } = this.job;
    return Buffer.from(JSON.stringify({ nonce: this.nonce, files, entrypoint, handler, input: input ?? null, policy }));
  }

  /** Reads stdout and stderr together until the container closes them, or until the output limit. */
  private drain(socket: Duplex): Promise<void> {
    const demuxer = new StreamDemuxer((stream, payload) => this.output.push(stream, payload));
    return new Promise((resolve) => {
      socket.on('data', (chunk: Buffer) => {
        if (demuxer.push(chunk)) return;
        this.kill('output');
        socket.destroy();
      });
      // A reset connection ends the output as well; the exit code still comes from wait().
      socket.once('error', () => resolve());
      socket.once('end', () => resolve());
      socket.once('close', () => resolve());
    });
  }

  private kill(reason: KillReason): void {
    // A timer that fires while the result is already in is not a timeout.
    if (this.killedFor !== null || this.container === null || (reason === 'timeout' && this.output.hasFrame)) return;
    this.killedFor = reason;
    // SIGKILL: a skill may ignore SIGTERM. A container that already exited answers 409: fine.
    this.killing = this.container.kill({ signal: 'SIGKILL' }).then(
      () => undefined,
      () => undefined,
    );
  }

  /** On cgroup v1 and v2 alike the engine records the kernel's OOM kill in the container's state. */
  private async oomKilled(container: Docker.Container): Promise<boolean> {
    const info = await container.inspect();
    return info.State.OOMKilled === true;
  }

  private stopTimer(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private async release(): Promise<void> {
    this.stopTimer();
    this.attachSocket?.destroy();
    await this.killing;
    if (this.container === null) return;
    try {
      // force: a container that still runs (an error above) is killed on the way.
      await this.container.remove({ force: true, v: true });
    } catch (error) {
      if (statusCodeOf(error) !== 404) {
        this.context.logger.warn('could not remove a sandbox container; it is removed at the next start', {
          container: this.container.id,
          error: String(error),
        });
      }
    }
  }
}
