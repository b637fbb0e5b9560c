// A sandbox container created, attached and started, whose harness waits on stdin for its one job
// (runner-image/harness/PROTOCOL.md). The cold path of a run makes one just before the hand-over,
// the warm pool ahead of time; either way exactly one run takes it, hands the job over, reads its
// output and removes it.
import type { Duplex } from 'node:stream';
import type Docker from 'dockerode';
import type { SandboxRuntime } from '../types.js';
import { cgroupResources, RUN_ROLE, runContainerOptions, type CgroupLimits, type SandboxRole, type SandboxSettings } from './container-options.js';
import { statusCodeOf } from './engine-errors.js';

/** Where a container's multiplexed stdout/stderr goes once a run has taken it. */
export interface OutputSink {
  data(chunk: Buffer): void;
  /** The container closed its streams (it exited), or reading was stopped. */
  end(): void;
}

export class StartedContainer {
  readonly startedAt = performance.now();
  // Output from before the hand-over: only a harness that could not start writes any (on stderr),
  // and a run that takes such a container still shows it in the log.
  private readonly early: Buffer[] = [];
  private sink: OutputSink | null = null;
  private streamsEnded = false;
  private onBroken: (() => void) | null = null;

  private constructor(
    readonly container: Docker.Container,
    private readonly socket: Duplex,
    private cgroupLimits: CgroupLimits,
    private readonly runtime: SandboxRuntime,
  ) {
    socket.on('data', (chunk: Buffer) => {
      if (this.sink) return this.sink.data(chunk);
      this.early.push(chunk);
      this.broken();
    });
    // A reset connection ends the output as well; the exit code, when needed, comes from wait().
    const ended = (): void => {
      if (this.streamsEnded) return;
      this.streamsEnded = true;
      if (this.sink) this.sink.end();
      else this.broken();
    };
    socket.on('error', ended);
    socket.once('end', ended);
    socket.once('close', ended);
  }

  /** Creates, attaches and starts a container; what fails on the way is removed again. */
  static async start(docker: Docker, settings: SandboxSettings, limits: CgroupLimits, role: SandboxRole = RUN_ROLE): Promise<StartedContainer> {
    const container = await docker.createContainer(runContainerOptions(settings, limits, role));
    let socket: Duplex | undefined;
    try {
      // Attached before start, so not a byte of output is missed, with stdin on the same socket.
      socket = (await container.attach({ stream: true, hijack: true, stdin: true, stdout: true, stderr: true })) as Duplex;
      const started = new StartedContainer(container, socket, { ...limits }, settings.runtime);
      await container.start();
      return started;
    } catch (error) {
      socket?.destroy();
      // What cannot be removed now is removed at the next start (removeLeftovers).
      await container.remove({ force: true, v: true }).catch(() => undefined);
      throw error;
    }
  }

  get id(): string {
    return this.container.id;
  }

  /** The cgroup limits the container runs under now. */
  get limits(): CgroupLimits {
    return this.cgroupLimits;
  }

  get ageMs(): number {
    return performance.now() - this.startedAt;
  }

  /** Still waiting for its job: not taken, nothing written, not exited. */
  get waiting(): boolean {
    return this.sink === null && !this.streamsEnded && this.early.length === 0;
  }

  /** Calls `listener` once if the container stops waiting before a run takes it (it wrote something or exited). */
  whenBroken(listener: () => void): void {
    this.onBroken = listener;
    if (!this.waiting) this.broken();
  }

  /** Gives a started container other cgroup limits (memory with swap equal to it, CPU quota, pids) before its job. */
  async applyLimits(limits: CgroupLimits): Promise<void> {
    await this.container.update(cgroupResources(limits, this.runtime));
    this.cgroupLimits = { memory_mb: limits.memory_mb, cpus: limits.cpus, pids: limits.pids };
  }

  /** From now on the output goes to `sink`, after what arrived before. Called once, by the run that took the container. */
  receiveOutput(sink: OutputSink): void {
    this.onBroken = null;
    this.sink = sink;
    for (const chunk of this.early.splice(0)) sink.data(chunk);
    if (this.streamsEnded) sink.end();
  }

  /** The job goes in (one line); stdin stays open for the answers to the skill's net requests. */
  handOver(job: Buffer): void {
    this.socket.write(job);
  }

  /** One more line to the harness's stdin, unless the streams are gone. */
  sendLine(line: string): void {
    if (!this.socket.destroyed && this.socket.writable) this.socket.write(line);
  }

  /** No more output is read (the output limit was reached). */
  stopReading(): void {
    this.socket.destroy();
  }

  /** SIGKILL from outside: a skill may ignore SIGTERM. A container that already exited answers 409: fine. */
  async kill(): Promise<void> {
    await this.container.kill({ signal: 'SIGKILL' }).catch(() => undefined);
  }

  async exitCode(): Promise<number> {
    const { StatusCode } = (await this.container.wait()) as { StatusCode: number };
    return StatusCode;
  }

  /** On cgroup v1 and v2 alike the engine records the kernel's OOM kill in the container's state. */
  async oomKilled(): Promise<boolean> {
    const info = await this.container.inspect();
    return info.State.OOMKilled === true;
  }

  /** Destroys the streams and removes the container, killing it on the way if it still runs. */
  async remove(): Promise<void> {
    this.onBroken = null;
    this.socket.destroy();
    try {
      await this.container.remove({ force: true, v: true });
    } catch (error) {
      if (statusCodeOf(error) !== 404) throw error;
    }
  }

  private broken(): void {
    const listener = this.onBroken;
    this.onBroken = null;
    listener?.();
  }
}
