// bench-soak: the server's memory over many runs. The real server (bench-server: main.js in a child
// process, runc, the default warm pool) serves BENCH_SOAK_RUNS runs of word-count (default 5,000)
// over HTTP from a few clients in parallel, after a warm-up. Every 1/20th of the runs it samples the
// server process's resident set (VmRSS in /proc/<pid>/status) and, from /metrics, the main thread's
// V8 heap and its memory outside the heap (external, and the ArrayBuffers within it). The verdict
// compares the resident set's growth over the last half of the runs with the first half's: it levels
// off when the last half grows by at most LEVEL_MB_PER_1000 per 1,000 runs (a least-squares slope
// over that half's samples, so one noisy sample does not decide it).
// Figures, not assertions. Run alone: node dist/scripts/bench.js --soak (BENCH_SOAK_RUNS=500 for a
// short one).
import { mkdir } from 'node:fs/promises';
import { startBenchServer, type BenchServer } from './bench-server.js';

export const DEFAULT_SOAK_RUNS = 5000;
const CLIENTS = 4;
const WARMUP_RUNS = 20;
const SAMPLES = 20;
const TEXT = 'the quick brown fox jumps over the lazy dog';
export const LEVEL_MB_PER_1000 = 2;

export interface SoakSample {
  runs: number;
  rssMb: number;
  /** The anonymous part of the RSS (malloc'd and V8 memory), without mapped code and files. */
  anonMb: number;
  heapUsedMb: number;
  /** The heap V8 holds from the system: used, garbage not yet collected, and room to grow into. */
  heapTotalMb: number;
  externalMb: number;
  arrayBuffersMb: number;
  /** File descriptors the server holds: a socket or file left open per run would show here. */
  fds: number;
}

export interface SoakResult {
  runs: number;
  clients: number;
  failures: number;
  elapsedS: number;
  samples: SoakSample[];
  /** RSS growth from the first sample to the middle one, and from the middle one to the last, in MB. */
  firstHalfMb: number;
  lastHalfMb: number;
  /** Least-squares RSS slope over each half's samples, in MB per 1,000 runs. */
  firstSlope: number;
  lastSlope: number;
  heapGrowthMb: number;
  levelsOff: boolean;
}

/** BENCH_SOAK_RUNS, or the default; 0 skips the soak. */
export function soakRuns(): number {
  const text = process.env.BENCH_SOAK_RUNS;
  if (text === undefined || text === '') return DEFAULT_SOAK_RUNS;
  const runs = Number(text);
  if (!Number.isInteger(runs) || runs < 0) throw new Error(`BENCH_SOAK_RUNS takes a whole number of runs (0 skips the soak), not ${text}`);
  return runs;
}

/** A gauge's value from Prometheus text ("name value" or "name{labels} value"), in MB. */
function gaugeMb(text: string, name: string): number {
  const match = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)$`, 'm').exec(text);
  return match ? Number(match[1]) / 1e6 : NaN;
}

async function sample(server: BenchServer, runs: number): Promise<SoakSample> {
  const [{ rssMb, anonMb }, text, fds] = await Promise.all([server.memory(), server.metrics(), server.openFds()]);
  return {
    runs,
    rssMb,
    anonMb,
    heapUsedMb: gaugeMb(text, 'tool_executor_nodejs_heap_size_used_bytes'),
    heapTotalMb: gaugeMb(text, 'tool_executor_nodejs_heap_size_total_bytes'),
    externalMb: gaugeMb(text, 'tool_executor_nodejs_external_memory_bytes'),
    arrayBuffersMb: gaugeMb(text, 'tool_executor_nodejs_array_buffers_bytes'),
    fds,
  };
}

/** One run; a failed one (or a refused or broken request) counts as a failure, unless the server is gone. */
async function succeeded(server: BenchServer, done: () => number): Promise<boolean> {
  try {
    const { status, body } = await server.run({ skill: 'word-count', input: { text: TEXT } });
    const answer = body as { status?: string; result?: { words?: number } };
    return status === 200 && answer.status === 'succeeded' && answer.result?.words === 9;
  } catch (error) {
    const ended = server.ended();
    if (ended !== null) throw new Error(`the server ended (${ended}) after ${done()} runs of the soak`);
    if (error instanceof Error) return false;
    throw error;
  }
}

/** MB per 1,000 runs: the least-squares slope of RSS over `samples`. */
function slope(samples: SoakSample[]): number {
  if (samples.length < 2) return NaN;
  const meanX = samples.reduce((sum, s) => sum + s.runs, 0) / samples.length;
  const meanY = samples.reduce((sum, s) => sum + s.rssMb, 0) / samples.length;
  let num = 0;
  let den = 0;
  for (const s of samples) {
    num += (s.runs - meanX) * (s.rssMb - meanY);
    den += (s.runs - meanX) ** 2;
  }
  return (num / den) * 1000;
}

/** Serves `runs` runs on a server of its own under `dir`; `onSample` sees each sample as it is taken. */
export async function benchSoak(dir: string, runs: number, onSample: (s: SoakSample) => void = () => undefined): Promise<SoakResult> {
  await mkdir(dir, { recursive: true });
  const server = await startBenchServer(dir, 'sandbox: {runtime: runc}');
  try {
    for (let i = 0; i < WARMUP_RUNS; i++) await succeeded(server, () => 0);
    const every = Math.max(1, Math.round(runs / SAMPLES));
    const samples: SoakSample[] = [];
    const take = async (at: number): Promise<void> => {
      const s = await sample(server, at);
      samples.push(s);
      onSample(s);
    };
    await take(0);
    let started = 0;
    let done = 0;
    let failures = 0;
    const pending: Array<Promise<void>> = [];
    const startedAt = performance.now();
    const client = async (): Promise<void> => {
      while (started < runs) {
        started += 1;
        if (!(await succeeded(server, () => done))) failures += 1;
        done += 1;
        if (done % every === 0 || done === runs) pending.push(take(done));
      }
    };
    await Promise.all(Array.from({ length: CLIENTS }, client));
    await Promise.all(pending);
    const elapsedS = (performance.now() - startedAt) / 1000;
    samples.sort((a, b) => a.runs - b.runs);
    const first = samples[0]!;
    const last = samples[samples.length - 1]!;
    const middle = samples.reduce((best, s) => (Math.abs(s.runs - runs / 2) < Math.abs(best.runs - runs / 2) ? s : best), first);
    const lastSlope = slope(samples.filter((s) => s.runs >= middle.runs));
    return {
      runs, clients: CLIENTS, failures, elapsedS, samples,
      firstHalfMb: middle.rssMb - first.rssMb,
      lastHalfMb: last.rssMb - middle.rssMb,
      firstSlope: slope(samples.filter((s) => s.runs <= middle.runs)),
      lastSlope,
      heapGrowthMb: last.heapUsedMb - first.heapUsedMb,
      levelsOff: lastSlope <= LEVEL_MB_PER_1000,
    };
  } finally {
    await server.stop();
  }
}

const mb = (value: number): string => (Number.isNaN(value) ? '-' : value.toFixed(1));

/** One line per sample: runs done, RSS, its anonymous part, heap used and total, external, ArrayBuffers, fds. */
export function soakSampleLine(s: SoakSample | null): string {
  const cells = s === null
    ? ['runs', 'RSS MB', 'anon MB', 'heap used MB', 'heap total MB', 'external MB', 'ArrayBuffers MB', 'fds']
    : [String(s.runs), mb(s.rssMb), mb(s.anonMb), mb(s.heapUsedMb), mb(s.heapTotalMb), mb(s.externalMb), mb(s.arrayBuffersMb), String(s.fds)];
  return cells.map((cell, i) => cell.padStart(i === 0 ? 6 : i === 6 ? 17 : i === 7 ? 6 : 14)).join('');
}
