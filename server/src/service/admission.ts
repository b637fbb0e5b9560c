// Admission control (SPEC §5): at most `concurrency` runs at once and `queue` waiting; beyond that
// the caller is told to come back later (429 overloaded) instead of piling work on the engine.
import { OverloadedError } from '../errors.js';

export interface AdmissionLimits {
  concurrency: number;
  queue: number;
  /** The longest a run waits in the queue before it is refused as overloaded. */
  queue_timeout_ms?: number;
}

const DEFAULT_QUEUE_TIMEOUT_MS = 10_000;

export interface Admitted {
  /** How long the run waited for a slot. */
  queuedMs: number;
  release(): void;
}

export class Admission {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly limits: () => AdmissionLimits) {}

  get stats(): { running: number; waiting: number } {
    return { running: this.running, waiting: this.waiting.length };
  }

  /**
   * A slot, at once or after waiting in the queue. A full queue refuses synchronously (the throw
   * comes before the promise), so a caller can answer 429 before it acknowledges anything.
   */
  enter(): Promise<Admitted> {
    const startedAt = performance.now();
    const { concurrency, queue, queue_timeout_ms: queueTimeoutMs = DEFAULT_QUEUE_TIMEOUT_MS } = this.limits();
    if (this.running >= concurrency && this.waiting.length >= queue) {
      throw new OverloadedError(`${this.running} runs in progress and ${this.waiting.length} waiting; try again shortly`, 1);
    }
    return this.admit(startedAt, concurrency, queueTimeoutMs);
  }

  private async admit(startedAt: number, concurrency: number, queueTimeoutMs: number): Promise<Admitted> {
    if (this.running >= concurrency) await this.slotWithin(queueTimeoutMs);
    else this.running += 1;
    let released = false;
    return {
      queuedMs: Math.round(performance.now() - startedAt),
      release: () => {
        if (released) return;
        released = true;
        // Hand the slot straight to the next waiter so `running` never dips below the true count.
        const next = this.waiting.shift();
        if (next) next();
        else this.running -= 1;
      },
    };
  }

  /** Waits for a released slot; past `timeoutMs` leaves the queue and refuses as overloaded. */
  private slotWithin(timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const granted = (): void => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        const at = this.waiting.indexOf(granted);
        if (at >= 0) this.waiting.splice(at, 1);
        reject(new OverloadedError(`no run slot came free within ${timeoutMs} ms (limits.queue_timeout_ms); try again shortly`, Math.max(1, Math.ceil(timeoutMs / 1000))));
      }, timeoutMs);
      this.waiting.push(granted);
    });
  }
}
