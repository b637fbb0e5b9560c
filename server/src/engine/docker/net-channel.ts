// The channel of the skill's `net` module (runner-image/harness/PROTOCOL.md, "net"): requests come
// out as frames on stdout, each answer goes back as one JSON line on the container's stdin, which
// stays open after the job for that. The engine only carries them: the run's caller decides.
import type { NetExchange } from '../types.js';

const NO_BROKER = { ok: false, error: { kind: 'refused', message: 'this run has no network broker' } };
const BROKER_FAILED = { ok: false, error: { kind: 'connection', message: 'the broker failed on this request' } };

export class NetChannel {
  private open = true;

  constructor(
    private readonly exchange: NetExchange | undefined,
    /** Writes one line to the container's stdin. */
    private readonly send: (line: string) => void,
  ) {}

  /** One request frame's JSON text; a frame that is not the protocol's is dropped (only the harness writes them). */
  frame(text: string): void {
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch {
      return;
    }
    if (typeof message !== 'object' || message === null || Array.isArray(message)) return;
    const { id, ...request } = message as Record<string, unknown>;
    if (!Number.isSafeInteger(id)) return;
    const answer = this.exchange ? this.exchange(request).catch(() => BROKER_FAILED) : Promise.resolve(NO_BROKER);
    void answer.then((reply) => {
      if (this.open) this.send(`${JSON.stringify({ ...reply, id })}\n`);
    });
  }

  /** The run is over: answers still under way are dropped. */
  close(): void {
    this.open = false;
  }
}
