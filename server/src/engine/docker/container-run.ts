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
import type { EngineWatch } from './engine-watch.js';

export interface EngineLogger {
  warn(message: string, meta?: Record<string, unknown>): unknown;
}

export interface ContainerRunContext {
  docker: Docker;
  settings: SandboxSettings;
  logger: EngineLogger;
  /** Where started containers wait for runs; null: each run starts its own. */
  pool: WarmPool | null;
  /** The engine's OOM reports. */
  watch: Pick<EngineWatch, 'oomKilled'>;
  resultBounds: ResultBounds;
}

// After an answer at the frame, the removal waits a moment: by then the harness has exited on its
// own, and the removal no longer competes with the response for the CPU (on 2 cores: 36 -> 29 ms
// per run over HTTP).
const REMOVE_AFTER_ANSWER_MS = 50;
// The harness ends the skill at its time limit on its own clock, inside the container. This kill is
// the backstop for a harness that cannot (starved, or stuck before it read the job), so it comes
// later: it waits on this process's event loop and on the engine, which a loaded host delays.
const BACKSTOP_AFTER_LIMIT_MS = 2000;

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
    private readonly options: RunOptions,
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
      // From outside the container: nothing the skill does can stop or delay this one.
      this.timer = setTimeout(() => this.kill('timeout'), this.job.limits.timeout_ms + BACKSTOP_AFTER_LIMIT_MS);
      const { signal } = this.options;
      if (signal?.aborted) this.kill('cancelled');
      signal?.addEventListener('abort', () => this.kill('cancelled'), { once: true });
      sandbox.handOver(this.jobPayload());
      const answeredAt = await answered;
      this.stopTimer();
      const output = this.output.finish();
      // The harness's clock when it answered: what a busy event loop added on the way is not the skill's.
      const durationMs = output.skillMs ?? Math.round(answeredAt - handedOverAt);
      // With a frame the harness exits on its own, with the status the frame implies: no need to wait.
      this.answeredAtFrame = output.frame !== null && this.killedFor === null;
      const exitCode = this.answeredAtFrame ? null : await sandbox.exitCode();
      const oomKilled = exitCode === EXIT_KILLED && this.killedFor === null && output.frame === null && (await this.context.watch.oomKilled(sandbox.id));
      return classify({ limits: this.job.limits, output, exitCode, killedFor: this.killedFor, oomKilled, durationMs, resultBounds: this.context.resultBounds });
    } catch (error) {
      throw engineError(error, this.context.settings.image);
    } finally {
      const release = (): void => void this.release().finally(this.markRemoved);
      if (this.answeredAtFrame) setTimeout(release, REMOVE_AFTER_ANSWER_MS);
      else release();
    }
  }

  /**
   * A warm container from the pool, given this run's limits, or a cold one started for this run. A
   * warm one that died between the take and now (an engine restart, a kill from outside) is removed
   * and replaced by a cold start, once.
   */
  private async acquire(): Promise<StartedContainer> {
    const { docker, settings, pool, logger } = this.context;
    const warm = await pool?.take(this.job.limits);
    if (warm && (await warm.alive())) return warm;
    if (warm) {
      logger.warn('a warm container was dead at hand-over; the run starts its own', { container: warm.id });
      void warm.remove().catch(() => undefined);
    }
    return StartedContainer.start(docker, settings, this.job.limits);
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
    // A cancelled run has nobody to answer and nothing left to read: kill and remove in one call,
    // so the container and its slot are gone at once.
    this.killing = reason === 'cancelled' ? this.sandbox.remove().catch(() => undefined) : this.sandbox.kill();
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
