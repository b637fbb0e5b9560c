// Prometheus metrics of one service instance, in a registry of its own (two services in one process,
// as in tests, do not share counters). Run figures come from the audit events the Auditor writes
// (every line of the service goes through it), so the metrics count exactly what the audit log
// holds. Labels are route templates, methods, statuses and event names: never a path, a key, a
// skill's input or output.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { AuditEvent } from '../audit/index.js';

export interface QueueStats {
  running: number;
  waiting: number;
}

export interface ResponseSample {
  method: string;
  route: string;
  status: number;
  durationMs: number;
}

const DURATION_BUCKETS_S = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

export class ServiceMetrics {
  readonly registry = new Registry();
  private queueStats: () => QueueStats = () => ({ running: 0, waiting: 0 });
  private sandboxRuntime: () => string | null = () => null;
  private readonly runs: Counter<'status'>;
  private readonly runDuration: Histogram<'status'>;
  private readonly auditEvents: Counter<'event' | 'outcome'>;
  private readonly egressRequests: Counter<'outcome'>;
  private readonly httpRequests: Counter<'method' | 'route' | 'status'>;
  private readonly httpDuration: Histogram<'method' | 'route'>;

  constructor() {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'tool_executor_' });
    this.runs = new Counter({ name: 'tool_executor_runs_total', help: 'Runs that reached a sandbox, by status', labelNames: ['status'], registers });
    this.runDuration = new Histogram({
      name: 'tool_executor_run_duration_seconds', help: 'Time a run spent in its sandbox, by status', labelNames: ['status'], buckets: DURATION_BUCKETS_S, registers,
    });
    this.auditEvents = new Counter({ name: 'tool_executor_audit_events_total', help: 'Audited actions, by event and outcome', labelNames: ['event', 'outcome'], registers });
    this.egressRequests = new Counter({
      name: 'tool_executor_egress_requests_total', help: 'Requests of skills through the network broker, by outcome (ok, refused, budget, timeout, connection, invalid)', labelNames: ['outcome'], registers,
    });
    this.httpRequests = new Counter({ name: 'tool_executor_http_requests_total', help: 'Answered HTTP requests', labelNames: ['method', 'route', 'status'], registers });
    this.httpDuration = new Histogram({
      name: 'tool_executor_http_request_duration_seconds', help: 'Time to answer an HTTP request', labelNames: ['method', 'route'], buckets: DURATION_BUCKETS_S, registers,
    });
    // Gauges read at scrape time, so they are never stale.
    const stats = (): QueueStats => this.queueStats();
    new Gauge({ name: 'tool_executor_queue_depth', help: 'Runs waiting for a slot', registers, collect() { this.set(stats().waiting); } });
    new Gauge({ name: 'tool_executor_runs_in_progress', help: 'Runs holding a slot', registers, collect() { this.set(stats().running); } });
    // The part of the default metrics' external memory that ArrayBuffers (and so Buffers) hold.
    new Gauge({
      name: 'tool_executor_nodejs_array_buffers_bytes', help: 'Memory of ArrayBuffers and Buffers, in bytes (part of the external memory)', registers,
      collect() { this.set(process.memoryUsage().arrayBuffers); },
    });
    const runtime = (): string | null => this.sandboxRuntime();
    new Gauge({
      name: 'tool_executor_sandbox_runtime_info', help: 'The container runtime sandboxes run under (1 for the one in force; none before it is settled)', labelNames: ['runtime'], registers,
      collect() {
        this.reset();
        const inForce = runtime();
        if (inForce !== null) this.set({ runtime: inForce }, 1);
      },
    });
  }

  /** Where the runtime gauge reads from (the sandbox backend). */
  trackSandboxRuntime(runtime: () => string | null): void {
    this.sandboxRuntime = runtime;
  }

  /** Where the queue gauges read from (the admission control). */
  trackQueue(stats: () => QueueStats): void {
    this.queueStats = stats;
  }

  observeResponse(sample: ResponseSample): void {
    this.httpRequests.inc({ method: sample.method, route: sample.route, status: String(sample.status) });
    this.httpDuration.observe({ method: sample.method, route: sample.route }, sample.durationMs / 1000);
  }

  /** Counts an audited event once it is on disk (the Auditor's `onRecorded`). */
  observeEvent(event: AuditEvent): void {
    this.auditEvents.inc({ event: event.event, outcome: event.outcome });
    if (event.event === 'egress') this.egressRequests.inc({ outcome: event.outcome });
    // Refused runs are run events too (with their error code); only those that reached a sandbox have a run id.
    const runDurationMs = event.details?.run_duration_ms;
    if (event.event !== 'run' || event.details?.run_id === undefined) return;
    this.runs.inc({ status: event.outcome });
    if (typeof runDurationMs === 'number') this.runDuration.observe({ status: event.outcome }, runDurationMs / 1000);
  }

  async exposition(): Promise<{ contentType: string; text: string }> {
    return { contentType: this.registry.contentType, text: await this.registry.metrics() };
  }
}
