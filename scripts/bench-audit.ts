// bench-audit: the cost of an acknowledged audit record (a line through winston, synced to disk),
// sequential and with concurrent callers, beside the raw cost of one write + fdatasync on the same
// disk, which is the floor for a sequential caller. `benchAudit()` returns the figures for an
// aggregating script; run directly, this prints them.
import { closeSync, constants, fdatasyncSync, openSync, writeSync } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { createAuditLog, type AuditEvent } from '../server/src/audit/index.js';

export interface LatencyFigures {
  events: number;
  p50_ms: number;
  p99_ms: number;
  mean_ms: number;
  events_per_s: number;
}

export interface BenchAuditResult {
  /** One blocking write + fdatasync of a line-sized buffer, no audit code: what a sync costs here. */
  raw_fdatasync: LatencyFigures;
  /** One non-blocking O_DSYNC write (as the writer does, through libuv's thread pool), no audit code. */
  raw_async_dsync: LatencyFigures;
  sequential: LatencyFigures;
  concurrent: LatencyFigures & { callers: number };
}

export interface BenchAuditOptions {
  events?: number;
  callers?: number;
  /** Where to write: the disk measured. Defaults to a temporary folder. */
  baseDir?: string;
}

function figures(samplesMs: number[], elapsedMs: number): LatencyFigures {
  const sorted = [...samplesMs].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  const round = (ms: number): number => Math.round(ms * 1000) / 1000;
  const sum = sorted.reduce((total, ms) => total + ms, 0);
  return {
    events: sorted.length,
    p50_ms: round(at(0.5)),
    p99_ms: round(at(0.99)),
    mean_ms: round(sum / Math.max(1, sorted.length)),
    events_per_s: Math.round(sorted.length / (elapsedMs / 1000)),
  };
}

const nowMs = (): number => Number(process.hrtime.bigint()) / 1e6;

function runEvent(i: number): AuditEvent {
  return {
    event: 'run', actor: 'bench', request_id: `req-${i}`, skill: 'word-count', version: '1.0.0',
    decision: 'APPROVE', outcome: 'succeeded', duration_ms: 14, details: { run_id: `run-${i}`, exit_code: 0 },
  };
}

const sampleLine = (): Buffer => Buffer.from(`${JSON.stringify(runEvent(0)).padEnd(400, ' ')}\n`);

function rawFdatasync(dir: string, events: number): LatencyFigures {
  const line = sampleLine();
  const fd = openSync(path.join(dir, 'raw.bin'), 'a');
  const samples: number[] = [];
  const started = nowMs();
  try {
    for (let i = 0; i < events; i++) {
      const t = nowMs();
      writeSync(fd, line);
      fdatasyncSync(fd);
      samples.push(nowMs() - t);
    }
  } finally {
    closeSync(fd);
  }
  return figures(samples, nowMs() - started);
}

async function rawAsyncDsync(dir: string, events: number): Promise<LatencyFigures> {
  const line = sampleLine();
  const handle = await open(path.join(dir, 'raw-async.bin'), constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_DSYNC);
  const samples: number[] = [];
  const started = nowMs();
  try {
    for (let i = 0; i < events; i++) {
      const t = nowMs();
      await handle.write(line);
      samples.push(nowMs() - t);
    }
  } finally {
    await handle.close();
  }
  return figures(samples, nowMs() - started);
}

export async function benchAudit(options: BenchAuditOptions = {}): Promise<BenchAuditResult> {
  const events = options.events ?? 2000;
  const callers = options.callers ?? 8;
  const dir = await mkdtemp(path.join(options.baseDir ?? os.tmpdir(), 'bench-audit-'));
  const log = await createAuditLog({ dataDir: dir, rotateBytes: 64 * 1024 * 1024 });
  try {
    const raw = rawFdatasync(dir, events);
    const rawAsync = await rawAsyncDsync(dir, events);
    for (let i = 0; i < 50; i++) await log.record(runEvent(i)); // warm-up: JIT, first file extents

    const sequentialSamples: number[] = [];
    let started = nowMs();
    for (let i = 0; i < events; i++) {
      const t = nowMs();
      await log.record(runEvent(i));
      sequentialSamples.push(nowMs() - t);
    }
    const sequential = figures(sequentialSamples, nowMs() - started);

    const concurrentSamples: number[] = [];
    let next = 0;
    const caller = async (): Promise<void> => {
      while (next < events) {
        const i = next++;
        const t = nowMs();
        await log.record(runEvent(i));
        concurrentSamples.push(nowMs() - t);
      }
    };
    started = nowMs();
    await Promise.all(Array.from({ length: callers }, caller));
    const concurrent = { ...figures(concurrentSamples, nowMs() - started), callers };

    return { raw_fdatasync: raw, raw_async_dsync: rawAsync, sequential, concurrent };
  } finally {
    await log.close();
    await rm(dir, { recursive: true, force: true });
  }
}

function row(name: string, f: LatencyFigures): string {
  return `${name.padEnd(34)} p50 ${f.p50_ms.toFixed(3).padStart(7)} ms   p99 ${f.p99_ms.toFixed(3).padStart(7)} ms   ${String(f.events_per_s).padStart(7)} events/s`;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = await benchAudit();
  console.log(`audit record() latency, ${result.sequential.events} events each (durable: acknowledged once synced)`);
  console.log(row('raw write + fdatasync, blocking', result.raw_fdatasync));
  console.log(row('raw O_DSYNC write, async (floor)', result.raw_async_dsync));
  console.log(row('record(), sequential', result.sequential));
  console.log(row(`record(), ${result.concurrent.callers} concurrent callers`, result.concurrent));
  console.log(`sequential p50 / async floor p50: ${(result.sequential.p50_ms / result.raw_async_dsync.p50_ms).toFixed(2)}x; `
    + `throughput with ${result.concurrent.callers} callers / sequential: ${(result.concurrent.events_per_s / result.sequential.events_per_s).toFixed(1)}x`);
}
