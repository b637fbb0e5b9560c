// One long-lived subscription to the engine's events for this data_dir's containers. It serves two
// ends: the kernel's OOM kills (the engine's `oom` event), which a container removed by the engine
// on exit (AutoRemove) can no longer be inspected for; and the engine's restarts: the stream ends
// when the engine goes away, and when a reconnect succeeds the engine is back, so the backend reaps
// what the restart left (SPEC §5).
import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { LABEL } from './container-options.js';
import type { EngineLogger } from './container-run.js';

const FIRST_RETRY_MS = 250;
const MAX_RETRY_MS = 5_000;
// An OOM kill is reported shortly before the container's exit; a run that saw the exit waits this
// long for the report before it calls the exit a plain kill.
const OOM_REPORT_WAIT_MS = 500;
// Reports of containers whose run never asked (a pool container) are forgotten after this long.
const OOM_MEMORY_MS = 60_000;

interface EngineEvent {
  Type?: string;
  Action?: string;
  Actor?: { ID?: string };
  id?: string;
}

export class EngineWatch {
  private readonly oomAt = new Map<string, number>();
  private readonly waiters = new Map<string, () => void>();
  private stream: Readable | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private failures = 0;
  private lostEngine = false;
  private closed = false;

  constructor(
    private readonly docker: Docker,
    private readonly dataDir: string,
    /** Called each time the engine answers again after the stream was lost. */
    private readonly onEngineBack: () => void,
    private readonly logger: EngineLogger,
  ) {}

  /** Subscribes; idempotent. Neither the stream nor the retry timer keeps the process alive. */
  start(): void {
    if (this.closed || this.stream !== null || this.retryTimer !== null) return;
    void this.connect();
  }

  /** Whether the kernel's OOM killer ended container `id`; waits briefly for a report still on its way. */
  async oomKilled(id: string): Promise<boolean> {
    if (this.oomAt.delete(id)) return true;
    if (this.stream === null) return false;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, OOM_REPORT_WAIT_MS);
      this.waiters.set(id, () => {
        clearTimeout(timer);
        resolve();
      });
    });
    this.waiters.delete(id);
    return this.oomAt.delete(id);
  }

  close(): void {
    this.closed = true;
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.stream?.destroy();
    this.stream = null;
    for (const wake of this.waiters.values()) wake();
  }

  private async connect(): Promise<void> {
    let stream: Readable;
    try {
      stream = (await this.docker.getEvents({
        filters: { type: ['container'], event: ['oom'], label: [`${LABEL.dataDir}=${this.dataDir}`] },
      })) as unknown as Readable;
    } catch {
      this.retry();
      return;
    }
    if (this.closed) {
      stream.destroy();
      return;
    }
    this.stream = stream;
    this.failures = 0;
    const socket = (stream as Readable & { socket?: { unref?: () => void } }).socket;
    socket?.unref?.();
    if (this.lostEngine) {
      this.lostEngine = false;
      this.onEngineBack();
    }
    let buffered = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      buffered += chunk;
      for (let cut = buffered.indexOf('\n'); cut >= 0; cut = buffered.indexOf('\n')) {
        this.handle(buffered.slice(0, cut));
        buffered = buffered.slice(cut + 1);
      }
    });
    const lost = (): void => {
      if (this.stream !== stream) return;
      this.stream = null;
      if (this.closed) return;
      this.lostEngine = true;
      this.logger.warn('lost the container engine\'s event stream; reconnecting', {});
      this.retry();
    };
    stream.once('end', lost);
    stream.once('close', lost);
    stream.once('error', lost);
  }

  private handle(line: string): void {
    let event: EngineEvent;
    try {
      event = JSON.parse(line) as EngineEvent;
    } catch {
      return;
    }
    const id = event.Actor?.ID ?? event.id;
    if (event.Action !== 'oom' || !id) return;
    const now = performance.now();
    for (const [old, at] of this.oomAt) if (now - at > OOM_MEMORY_MS) this.oomAt.delete(old);
    this.oomAt.set(id, now);
    this.waiters.get(id)?.();
  }

  private retry(): void {
    if (this.closed || this.retryTimer !== null) return;
    this.lostEngine = true;
    this.failures += 1;
    const delayMs = Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** (this.failures - 1));
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.connect();
    }, delayMs);
    this.retryTimer.unref();
  }
}
