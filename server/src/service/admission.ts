// Admission control (SPEC §5): at most `concurrency` runs at once and `queue` waiting; beyond that
// the caller is told to come back later (429 overloaded) instead of piling work on the engine.
import { OverloadedError } from '../errors.js';

export interface AdmissionLimits {
  concurrency: number;
  queue: number;
}

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
    const { concurrency, queue } = this.limits();
    if (this.running >= concurrency && this.waiting.length >= queue) {
      throw new OverloadedError(`${this.running} runs in progress and ${this.waiting.length} waiting; try again shortly`, 1);
    }
    return this.admit(startedAt, concurrency);
  }

  private async admit(startedAt: number, concurrency: number): Promise<Admitted> {
    if (this.running >= concurrency) {
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.running += 1;
    }
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
}
