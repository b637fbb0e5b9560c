// One run, one container, one owner: a started container (warm from the pool, or cold: create ->
// attach -> start) -> job on stdin -> drain stdout and stderr -> outcome -> remove. The outcome is
// known at the result frame, the harness's last act; the container's exit and removal then go on
// after the answer, and `removed` settles when it is gone. Whatever happens on the way, `release()`
// kills and removes the container and destroys the attach socket.
import { randomBytes } from 'node:crypto';
import type Docker from 'dockerode';
import type { RunJob, RunOptions, RunOutcome } from '../types.js';
import type { SandboxSettings } from './container-options.js';
import { StreamDemuxer } from './demux.js';
import { NetChannel } from './net-channel.js';
import { engineError } from './engine-errors.js';
import { classify, EXIT_KILLED, type KillReason, type ResultBounds } from './outcome.js';
import { RunOutput } from './output.js';
import type { WarmPool } from './pool.js';
import { StartedContainer } from './started-container.js';

export interface EngineLogger {
  warn(message: string, meta?: Record<string, unknown>): unknown;
}

export interface ContainerRunContext {
  docker: Docker;
  settings: SandboxSettings;
  logger: EngineLogger;
  /** Where started containers wait for runs; null: each run starts its own. */
  pool: WarmPool | null;
  resultBounds: ResultBounds;
}

// After an answer at the frame, the removal waits a moment: by then the harness has exited on its
// own, and the removal no longer competes with the response for the CPU (on 2 cores: 36 -> 29 ms
// per run over HTTP).
const REMOVE_AFTER_ANSWER_MS = 50;

export class ContainerRun {
  /** Settles once the container is removed (never rejects); the outcome does not wait for it. */
  readonly removed: Promise<void>;
  private markRemoved: () => void = () => undefined;
  private sandbox: StartedContainer | null = null;
  private timer: NodeJS.Timeout | null = null;
  private killedFor: KillReason | null = null;
  private killing: Promise<void> = Promise.resolve();
  private answeredAtFrame = false;
  private readonly nonce = randomBytes(16).toString('hex');
  private readonly output: RunOutput;
  private readonly net: NetChannel;

  constructor(
    private readonly context: ContainerRunContext,
    private readonly job: RunJob,
    options: RunOptions,
  ) {
    this.net = new NetChannel(options.onNetRequest, (line) => this.sandbox?.sendLine(line));
    this.output = new RunOutput(job.limits.output_bytes, this.nonce, options.onLog, (error) =>
      context.logger.warn('a log listener failed; the run goes on', { error: String(error) }), (frame) => this.net.frame(frame));
    this.removed = new Promise((resolve) => {
      this.markRemoved = resolve;
    });
  }

  async execute(): Promise<RunOutcome> {
    try {
      const sandbox = await this.acquire();
      this.sandbox = sandbox;
      const answered = this.drain(sandbox);
      // The time limit counts from the hand-over: the head start of a warm container is not the skill's.
      const handedOverAt = performance.now();
      // The kill comes from outside the container: nothing the skill does can stop or delay it.
      this.timer = setTimeout(() => this.kill('timeout'), this.job.limits.timeout_ms);
      sandbox.handOver(this.jobPayload());
      const durationMs = Math.round((await answered) - handedOverAt);
      this.stopTimer();
      const output = this.output.finish();
      // With a frame the harness exits on its own, with the status the frame implies: no need to wait.
      this.answeredAtFrame = output.frame !== null && this.killedFor === null;
      const exitCode = this.answeredAtFrame ? null : await sandbox.exitCode();
      const oomKilled = exitCode === EXIT_KILLED && this.killedFor === null && output.frame === null && (await sandbox.oomKilled());
      return classify({ limits: this.job.limits, output, exitCode, killedFor: this.killedFor, oomKilled, durationMs, resultBounds: this.context.resultBounds });
    } catch (error) {
      throw engineError(error, this.context.settings.image);
    } finally {
      const release = (): void => void this.release().finally(this.markRemoved);
      if (this.answeredAtFrame) setTimeout(release, REMOVE_AFTER_ANSWER_MS);
      else release();
    }
  }

  /** A warm container from the pool, given this run's limits, or a cold one started for this run. */
  private async acquire(): Promise<StartedContainer> {
    const { docker, settings, pool } = this.context;
    const warm = await pool?.take(this.job.limits);
    return warm ?? StartedContainer.start(docker, settings, this.job.limits);
  }

  /** The job as the harness reads it: one JSON line (runner-image/harness/PROTOCOL.md). */
  private jobPayload(): Buffer {
    const { files, entrypoint, handler, input, policy, limits, testOnlyUnguarded } = this.job;
    const unguarded = testOnlyUnguarded === true ? { unguarded: true } : {};
    const job = { nonce: this.nonce, files, entrypoint, handler, input: input ?? null, policy, timeout_ms: limits.timeout_ms, ...unguarded };
    return Buffer.from(JSON.stringify(job) + '\n');
  }

  /**
   * Reads stdout and stderr together until the result frame and stderr's end mark are in (stdout and
   * stderr travel on separate pipes, so neither alone says the other is complete), the container
   * closes its streams, or the output limit is reached; resolves with the time the skill's part ended.
   */
  private drain(sandbox: StartedContainer): Promise<number> {
    const demuxer = new StreamDemuxer((stream, payload) => this.output.push(stream, payload));
    return new Promise((resolve) => {
      // Once answered, nothing more is read into the outcome or streamed to onLog.
      let answered = false;
      const answer = (): void => {
        if (answered) return;
        answered = true;
        resolve(performance.now());
      };
      sandbox.receiveOutput({
        data: (chunk) => {
          if (answered) return;
          if (!demuxer.push(chunk)) {
            this.kill('output');
            sandbox.stopReading();
            answer();
          } else if (this.output.complete) {
            answer();
          }
        },
        end: answer,
      });
    });
  }

  private kill(reason: KillReason): void {
    // A timer that fires while the result is already in is not a timeout.
    if (this.killedFor !== null || this.sandbox === null || (reason === 'timeout' && this.output.hasFrame)) return;
    this.killedFor = reason;
    this.killing = this.sandbox.kill();
  }

  private stopTimer(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private async release(): Promise<void> {
    this.stopTimer();
    this.net.close();
    await this.killing;
    if (this.sandbox === null) return;
    try {
      // force: a container that still runs (an error above, or the harness still exiting) is killed on the way.
      await this.sandbox.remove();
    } catch (error) {
      this.context.logger.warn('could not remove a sandbox container; it is removed at the next start', {
        container: this.sandbox.id,
        error: String(error),
      });
    }
  }
}
