// The audit log as the service sees it: record() sends each event through a winston logger whose
// format chains it (time, seq, prev_hash, hash: the finished line) and whose one transport is the
// AuditFileWriter, which makes it durable. A winston stream is ordered, so the order in which the
// format numbers lines is the order in which the transport appends them.
import winston from 'winston';
import type TransportStream from 'winston-transport';
import type { AuditEntry, AuditEvent, AuditLog, AuditQuery } from './types.js';
import { encodeEntry, type ChainPoint } from './line.js';
import { queryAudit } from './query.js';
import { verifyAudit, type VerifyReport } from './verify.js';
import { scrubDetails, scrubField } from './scrub.js';
import type { AuditFileWriter } from './writer.js';

/** The service's own operational logger (a winston Logger fits), for what the audit log repairs or fails at. */
export interface OpsLogger {
  warn(message: string, meta?: Record<string, unknown>): unknown;
  error(message: string, meta?: Record<string, unknown>): unknown;
}

// logform's key for the formatted line (triple-beam's MESSAGE is this registered symbol).
const MESSAGE = Symbol.for('message');
const EVENT = Symbol('audit.event');
const CHAIN_POINT = Symbol('audit.point');
const ACK = Symbol('audit.ack');

interface Ack {
  resolve: () => void;
  reject: (error: Error) => void;
}

interface AuditInfo {
  level: string;
  message: string;
  [EVENT]: AuditEvent;
  [CHAIN_POINT]?: ChainPoint;
  [MESSAGE]?: string;
  [ACK]: Ack;
}

/** Assigns each event its place in the chain. `head` is where the chain on disk ended. */
function chainFormat(head: ChainPoint): winston.Logform.Format {
  const chain = { ...head };
  return winston.format((info) => {
    const audit = info as unknown as AuditInfo;
    const seq = chain.seq + 1;
    const { text, hash } = encodeEntry(new Date().toISOString(), seq, audit[EVENT], chain.hash);
    chain.seq = seq;
    chain.hash = hash;
    audit[MESSAGE] = text;
    audit[CHAIN_POINT] = { seq, hash };
    return info;
  })();
}

// winston exports its Transport base class as `Transport` at run time; its typings call it `transport`.
const TransportBase = (winston as unknown as { Transport: typeof TransportStream }).Transport;

/** Hands each finished line to the writer and settles the caller's promise when it is on disk. */
class DurableTransport extends TransportBase {
  constructor(private readonly writer: AuditFileWriter) {
    super({ level: 'audit' });
  }

  override log(info: AuditInfo, next: () => void): void {
    const ack = info[ACK];
    const text = info[MESSAGE];
    const point = info[CHAIN_POINT];
    if (text === undefined || point === undefined) ack.reject(new Error('audit line was not formatted'));
    else this.writer.append(text, point).then(ack.resolve, ack.reject);
    // The stream may move on at once: durability is tracked per line by the writer, not by winston.
    next();
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.writer.close().then(() => callback(), callback);
  }
}

/** Strings, a finite number, JSON details: nothing in an event can make the format throw. */
function cleanEvent(event: AuditEvent): AuditEvent {
  const duration = event.duration_ms;
  return {
    event: scrubField(event.event) ?? 'unknown',
    actor: scrubField(event.actor),
    request_id: scrubField(event.request_id),
    skill: scrubField(event.skill),
    version: scrubField(event.version),
    decision: scrubField(event.decision),
    outcome: scrubField(event.outcome) ?? 'unknown',
    duration_ms: typeof duration === 'number' && Number.isFinite(duration) ? duration : null,
    details: scrubDetails(event.details),
  };
}

export class WinstonAuditLog implements AuditLog {
  private readonly logger: winston.Logger;
  private readonly transport: DurableTransport;
  private closing: Promise<void> | null = null;

  constructor(
    private readonly dir: string,
    writer: AuditFileWriter,
    head: ChainPoint,
    private readonly releaseLock: () => Promise<void>,
    opsLogger?: OpsLogger,
  ) {
    this.transport = new DurableTransport(writer);
    this.logger = winston.createLogger({
      levels: { audit: 0 },
      level: 'audit',
      format: chainFormat(head),
      transports: [this.transport],
      exitOnError: false,
    });
    // Failures reach callers through their promises; this only keeps an 'error' from going unhandled.
    this.logger.on('error', (error: Error) => opsLogger?.error('audit logger error', { error: error.message }));
  }

  record(event: AuditEvent): Promise<void> {
    if (this.closing) return Promise.reject(new Error('the audit log is closed'));
    return new Promise<void>((resolve, reject) => {
      const info: AuditInfo = { level: 'audit', message: String(event.event), [EVENT]: cleanEvent(event), [ACK]: { resolve, reject } };
      this.logger.log(info as unknown as winston.LogEntry);
    });
  }

  verify(): Promise<VerifyReport> {
    return verifyAudit(this.dir);
  }

  query(filter: AuditQuery): Promise<AuditEntry[]> {
    return queryAudit(this.dir, filter);
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    try {
      // Ending the logger ends the transport once every line before has reached it; the transport's
      // _final waits for the writer's last sync and closes the file.
      await new Promise<void>((resolve, reject) => {
        this.transport.once('finish', resolve);
        this.transport.once('error', reject);
        this.logger.end();
      });
    } finally {
      await this.releaseLock();
    }
  }
}
