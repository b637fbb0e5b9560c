// npm run bench: every benchmark of the service in one run on this machine, each beside the
// baseline it is judged against, measured in the same run:
// - run latency at one client through the real HTTP server (main.js, warm pool as configured by
//   default) against `docker run --rm -i` of the runner image doing the same word count;
// - throughput at 8 clients against raw engine churn (create/start/wait/remove), measured before
//   and after the service's turn, as the machine may be shared;
// - the server's peak RSS during the 8-client run (VmHWM of the server process);
// - the kernel filter's cost per run and per system call (bench-kernel);
// - the control layer's review cost (bench-review) and the audit log's cost (bench-audit);
// - warm-run latency with the review cache and the store's in-memory copies, and without (bench-cache);
// - the network broker's added latency per request against a direct request (bench-egress);
// - the server's memory over a soak of BENCH_SOAK_RUNS runs (default 5,000; 0 skips it), and whether
//   its resident set levels off (bench-soak; `--soak` measures it alone).
// The service's turn, its baselines and the kernel filter are measured under runc, then under
// gVisor's runsc where the engine has it, with the runsc/runc ratios of latency and throughput
// (`--runtime X` measures one).
// Figures, not assertions: the table shows each target and whether this run met it.
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import { DEFAULT_ALLOW_IMPORTS, defaultConfig, type Limits } from '../server/src/config/index.js';
import { LABEL, POOL_ROLE, type SandboxSettings } from '../server/src/engine/docker/container-options.js';
import type { SandboxRuntime } from '../server/src/engine/index.js';
import { PROJECT_ROOT } from '../server/src/paths.js';
import { benchAudit } from './bench-audit.js';
import { benchEgress } from './bench-egress.js';
import { benchKernel, type KernelCost } from './bench-kernel.js';
import { benchCache } from './bench-cache.js';
import { dockerRunArgs, rawChurn, timeDockerRun, type ChurnResult } from './bench-engine.js';
import { benchReview } from './bench-review.js';
import { benchSoak, LEVEL_MB_PER_1000, soakRuns, soakSampleLine, type SoakResult } from './bench-soak.js';
import { startBenchServer, type BenchServer } from './bench-server.js';

const CLIENTS = 8;
const LATENCY_RUNS = 40;
const BACK_TO_BACK_RUNS = 30;
const DOCKER_RUNS = 15;
// One client that sends its next run a moment after the last answer, as an agent calling tools
// does. Back to back, one client outruns the engine's container churn, and the figure would be
// the throughput row's again (it is printed as well).
const THINK_MS = 250;
const CHURN_MS = 12_000;
const THROUGHPUT_MS = 15_000;
const TEXT = 'the quick brown fox jumps over the lazy dog';

// word-count's manifest limits over the admin defaults, as the service computes them.
const WORD_COUNT_LIMITS: Limits = { ...defaultConfig().limits.defaults, timeout_ms: 5000, memory_mb: 128, cpus: 0.5 };

const TARGETS = { latencyRatio: 0.1, throughputRatio: 0.8, peakRssMb: 200, brokerAddedMs: 2 };

interface Latency {
  runs: number;
  p50: number;
  p99: number;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function latency(samplesMs: number[]): Latency {
  const sorted = [...samplesMs].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
  return { runs: sorted.length, p50: at(0.5), p99: at(0.99) };
}

async function runWordCount(server: BenchServer): Promise<{ queuedMs: number }> {
  const { status, body } = await server.run({ skill: 'word-count', input: { text: TEXT } });
  const answer = body as { status?: string; result?: { words?: number }; queued_ms?: number };
  if (status !== 200 || answer.status !== 'succeeded' || answer.result?.words !== 9) {
    throw new Error(`a run did not succeed: ${status} ${JSON.stringify(body).slice(0, 400)}`);
  }
  return { queuedMs: answer.queued_ms ?? 0 };
}

async function sequentialLatency(runs: number, thinkMs: number, once: () => Promise<unknown>): Promise<Latency> {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const startedAt = performance.now();
    await once();
    samples.push(performance.now() - startedAt);
    if (thinkMs > 0) await sleep(thinkMs);
  }
  return latency(samples);
}

async function serverThroughput(server: BenchServer): Promise<{ runs: number; perSecond: number; latency: Latency; maxQueuedMs: number }> {
  const samples: number[] = [];
  let maxQueuedMs = 0;
  const startedAt = performance.now();
  const deadline = startedAt + THROUGHPUT_MS;
  let lastDoneAt = startedAt;
  const client = async (): Promise<void> => {
    while (performance.now() < deadline) {
      const t = performance.now();
      const { queuedMs } = await runWordCount(server);
      lastDoneAt = performance.now();
      samples.push(lastDoneAt - t);
      maxQueuedMs = Math.max(maxQueuedMs, queuedMs);
    }
  };
  await Promise.all(Array.from({ length: CLIENTS }, client));
  return { runs: samples.length, perSecond: samples.length / ((lastDoneAt - startedAt) / 1000), latency: latency(samples), maxQueuedMs };
}

/** Waits until the server's pool has `size` containers waiting (or gives up after 30 s). */
async function poolFilled(docker: Docker, dataDir: string, size: number): Promise<number> {
  const deadline = Date.now() + 30_000;
  let running = 0;
  while (Date.now() < deadline) {
    const found = await docker.listContainers({ filters: { label: [`${LABEL.dataDir}=${dataDir}`, `${LABEL.role}=${POOL_ROLE}`], status: ['running'] } });
    running = found.length;
    if (running >= size) break;
    await sleep(200);
  }
  return running;
}

async function removeContainersOf(docker: Docker, dataDir: string): Promise<number> {
  const left = await docker.listContainers({ all: true, filters: { label: [`${LABEL.dataDir}=${dataDir}`] } });
  await Promise.all(left.map((info) => docker.getContainer(info.Id).remove({ force: true }).catch(() => undefined)));
  return left.length;
}

async function wordCountJob(): Promise<string> {
  const code = await readFile(path.join(PROJECT_ROOT, 'skills', 'word-count', 'main.py'), 'utf8');
  return JSON.stringify({
    nonce: randomBytes(16).toString('hex'), files: { 'main.py': code }, entrypoint: 'main.py', handler: 'run',
    input: { text: TEXT }, policy: { allow_imports: DEFAULT_ALLOW_IMPORTS, allow_builtins: [], allow_capabilities: [] },
    timeout_ms: WORD_COUNT_LIMITS.timeout_ms,
  }) + '\n';
}

const ms = (value: number): string => (value >= 100 ? value.toFixed(0) : value.toFixed(1));
const verdict = (met: boolean): string => (met ? 'met' : 'MISSED');

function printTable(rows: Array<[string, string, string]>): void {
  const width = rows.reduce((max, [name]) => Math.max(max, name.length), 0);
  const figureWidth = rows.reduce((max, [, figure]) => Math.max(max, figure.length), 0);
  for (const [name, figure, target] of rows) console.log(`${name.padEnd(width)}  ${figure.padEnd(figureWidth)}  ${target}`.trimEnd());
}

interface RuntimeFigures {
  runtime: SandboxRuntime;
  waiting: number;
  pooled: Latency;
  backToBack: Latency;
  dockerRun: Latency;
  churn: ChurnResult;
  churnBefore: ChurnResult;
  churnAfter: ChurnResult;
  loaded: Awaited<ReturnType<typeof serverThroughput>>;
  idle: { rssMb: number };
  memory: { peakMb: number };
  peakReset: boolean;
  kernel: KernelCost;
}

function addChurn(a: ChurnResult, b: ChurnResult): ChurnResult {
  const containers = a.containers + b.containers;
  const elapsedMs = a.elapsedMs + b.elapsedMs;
  return { containers, elapsedMs, perSecond: containers / (elapsedMs / 1000) };
}

/** The service's turn under one runtime, beside the same runtime's baselines, on its own data_dir. */
async function measureRuntime(docker: Docker, dir: string, runtime: SandboxRuntime, poolSize: number): Promise<RuntimeFigures> {
  const config = defaultConfig();
  const baseline: SandboxSettings = { image: config.sandbox.image, runtime, instanceId: 'bench-baseline', dataDir: path.join(dir, 'baseline') };
  let server: BenchServer | undefined;
  try {
    server = await startBenchServer(dir, `sandbox: {runtime: ${runtime}, pool: {size: ${poolSize}}}`);
    const waiting = await poolFilled(docker, server.dataDir, poolSize);
    for (let i = 0; i < 5; i++) await runWordCount(server); // warm-up: JIT, first review, first audit file
    await sleep(1000);

    const pooled = await sequentialLatency(LATENCY_RUNS, THINK_MS, () => runWordCount(server!));
    const backToBack = await sequentialLatency(BACK_TO_BACK_RUNS, 0, () => runWordCount(server!));
    const job = await wordCountJob();
    const args = dockerRunArgs(baseline, WORD_COUNT_LIMITS);
    const dockerRun = await sequentialLatency(DOCKER_RUNS, THINK_MS, () => timeDockerRun(args, job, /TE-RESULT [0-9a-f]+ \{"ok":true,"result":\{"words":9\}\}/));

    const churnBefore = await rawChurn(baseline, WORD_COUNT_LIMITS, CLIENTS, CHURN_MS);
    await sleep(1000);
    const peakReset = await server.resetPeakRss();
    const idle = await server.memory();
    const loaded = await serverThroughput(server);
    const memory = await server.memory();
    await sleep(1000);
    const churnAfter = await rawChurn(baseline, WORD_COUNT_LIMITS, CLIENTS, CHURN_MS);
    await server.stop();
    server = undefined;
    const kernel = await benchKernel(baseline, WORD_COUNT_LIMITS);
    return { runtime, waiting, pooled, backToBack, dockerRun, churn: addChurn(churnBefore, churnAfter), churnBefore, churnAfter, loaded, idle, memory, peakReset, kernel };
  } finally {
    await server?.stop();
    const left = (await removeContainersOf(docker, path.join(dir, 'data'))) + (await removeContainersOf(docker, baseline.dataDir));
    if (left > 0) console.error(`removed ${left} container(s) the benchmark left behind`);
  }
}

function runtimeRows(figures: RuntimeFigures, poolSize: number): Array<[string, string, string]> {
  const { runtime, pooled, dockerRun, backToBack, loaded, churn, churnBefore, churnAfter, memory, idle, kernel } = figures;
  const latencyRatio = pooled.p50 / dockerRun.p50;
  const throughputRatio = loaded.perSecond / churn.perSecond;
  return [
    [`${runtime}: run latency, 1 client, warm pool`, `p50 ${ms(pooled.p50)} ms, p99 ${ms(pooled.p99)} ms (${pooled.runs} runs, ${THINK_MS} ms apart; ${figures.waiting} of ${poolSize} warm at start)`, ''],
    [`${runtime}: docker run --rm -i, same job and walls`, `p50 ${ms(dockerRun.p50)} ms, p99 ${ms(dockerRun.p99)} ms (${dockerRun.runs} runs)`, ''],
    [`${runtime}: latency ratio (p50 / p50)`, latencyRatio.toFixed(3), `<= ${TARGETS.latencyRatio}  ${verdict(latencyRatio <= TARGETS.latencyRatio)}`],
    [`${runtime}: run latency, 1 client, back to back`, `p50 ${ms(backToBack.p50)} ms, p99 ${ms(backToBack.p99)} ms (${backToBack.runs} runs)`, '(no target)'],
    [`${runtime}: throughput, ${CLIENTS} clients`, `${loaded.perSecond.toFixed(1)} runs/s (${loaded.runs} runs; p50 ${ms(loaded.latency.p50)} ms, p99 ${ms(loaded.latency.p99)} ms; max queued ${loaded.maxQueuedMs} ms)`, ''],
    [`${runtime}: raw engine churn, ${CLIENTS} clients`, `${churn.perSecond.toFixed(1)} containers/s (before ${churnBefore.perSecond.toFixed(1)}, after ${churnAfter.perSecond.toFixed(1)})`, ''],
    [`${runtime}: throughput ratio`, throughputRatio.toFixed(2), `>= ${TARGETS.throughputRatio}  ${verdict(throughputRatio >= TARGETS.throughputRatio)}`],
    [`${runtime}: server peak RSS, ${CLIENTS} clients`, `${memory.peakMb.toFixed(1)} MB (idle before ${idle.rssMb.toFixed(1)} MB${figures.peakReset ? '' : '; peak since start: clear_refs refused'})`, `<= ${TARGETS.peakRssMb} MB  ${verdict(memory.peakMb <= TARGETS.peakRssMb)}`],
    [`${runtime}: kernel filter: build + load, per run`, `p50 ${kernel.loadUsP50.toFixed(0)} µs (${kernel.samples} containers)`, '(no target)'],
    [`${runtime}: kernel filter: a system call behind it`, `${kernel.syscallNsAfter.toFixed(0)} ns vs ${kernel.syscallNsBefore.toFixed(0)} ns before (getppid, ratio ${(kernel.syscallNsAfter / kernel.syscallNsBefore).toFixed(2)})`, '(no target)'],
  ];
}

/** What gVisor costs: the service's own figures under runsc over those under runc. */
function comparisonRows(runc: RuntimeFigures, runsc: RuntimeFigures): Array<[string, string, string]> {
  return [
    ['runsc / runc: run latency p50, warm pool', `${(runsc.pooled.p50 / runc.pooled.p50).toFixed(2)} (${ms(runsc.pooled.p50)} / ${ms(runc.pooled.p50)} ms)`, '(no target)'],
    [`runsc / runc: throughput, ${CLIENTS} clients`, `${(runsc.loaded.perSecond / runc.loaded.perSecond).toFixed(2)} (${runsc.loaded.perSecond.toFixed(1)} / ${runc.loaded.perSecond.toFixed(1)} runs/s)`, '(no target)'],
    ['runsc / runc: docker run --rm -i p50', `${(runsc.dockerRun.p50 / runc.dockerRun.p50).toFixed(2)} (${ms(runsc.dockerRun.p50)} / ${ms(runc.dockerRun.p50)} ms)`, '(no target)'],
  ];
}

/** The soak on its own data_dir, its samples printed as they come (a 5,000-run soak takes minutes). */
async function measureSoak(docker: Docker, dir: string, runs: number): Promise<SoakResult> {
  const soakDir = path.join(dir, 'soak');
  const load = (): string => os.loadavg().map((value) => value.toFixed(2)).join(', ');
  console.log(`Soak, ${new Date().toISOString()}: the server's memory over ${runs} runs of word-count (runc), after a warm-up; load average ${load()}`);
  console.log(soakSampleLine(null));
  try {
    const result = await benchSoak(soakDir, runs, (sample) => console.log(soakSampleLine(sample)));
    console.log(`load average at the end ${load()}\n`);
    return result;
  } finally {
    const left = await removeContainersOf(docker, path.join(soakDir, 'data'));
    if (left > 0) console.error(`removed ${left} container(s) the soak left behind`);
  }
}

function soakRows(soak: SoakResult): Array<[string, string, string]> {
  const perThousand = (value: number): string => `${value >= 0 ? '+' : ''}${value.toFixed(2)} MB per 1,000 runs`;
  const first = soak.samples[0]!;
  const last = soak.samples[soak.samples.length - 1]!;
  return [
    [`soak: ${soak.runs} runs, ${soak.clients} clients`, `${(soak.runs / soak.elapsedS).toFixed(1)} runs/s, ${soak.failures} failed; RSS ${first.rssMb.toFixed(1)} -> ${last.rssMb.toFixed(1)} MB, heap ${first.heapUsedMb.toFixed(1)} -> ${last.heapUsedMb.toFixed(1)} MB`, ''],
    ['soak: RSS growth, first half', `${soak.firstHalfMb.toFixed(1)} MB (${perThousand(soak.firstSlope)})`, ''],
    ['soak: RSS growth, last half', `${soak.lastHalfMb.toFixed(1)} MB (${perThousand(soak.lastSlope)})`, `<= ${LEVEL_MB_PER_1000} MB per 1,000 runs  ${soak.levelsOff ? 'levels off' : 'STILL GROWING'}`],
  ];
}

/** runc, then runsc where the engine lists it; `--runtime X` measures X alone. */
async function runtimesToMeasure(docker: Docker): Promise<SandboxRuntime[]> {
  const arg = process.argv.indexOf('--runtime');
  if (arg > 0) {
    const asked = process.argv[arg + 1];
    if (asked !== 'runc' && asked !== 'runsc') throw new Error(`--runtime takes runc or runsc, not ${asked}`);
    return [asked];
  }
  const info = (await docker.info()) as { Runtimes?: Record<string, unknown> };
  if (info.Runtimes?.runsc !== undefined) return ['runc', 'runsc'];
  console.log('The engine has no runsc runtime (npm run setup registers it where it can): measuring runc only.\n');
  return ['runc'];
}

async function main(): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'te-bench-'));
  const agent = new http.Agent({ keepAlive: true });
  const docker = new Docker({ socketPath: '/var/run/docker.sock', agent } as Docker.DockerOptions);
  const config = defaultConfig();
  try {
    const engine = await docker.version();
    // --pool-size N measures another pool size than the default (written into the server's config).
    const sizeArg = process.argv.indexOf('--pool-size');
    const poolSize = sizeArg > 0 ? Number(process.argv[sizeArg + 1]) : config.sandbox.pool.size;
    const runs = soakRuns();
    if (process.argv.includes('--soak')) {
      if (runs === 0) throw new Error('--soak measures the soak alone: BENCH_SOAK_RUNS must not be 0');
      printTable([['measure', 'figure', 'target'], ...soakRows(await measureSoak(docker, dir, runs))]);
      return;
    }
    const runtimes = await runtimesToMeasure(docker);
    console.log(`Tool Executor benchmarks, ${new Date().toISOString()}: ${os.cpus().length} CPUs, Docker ${engine.Version}, ` +
      `image ${config.sandbox.image}, runtimes ${runtimes.join(' and ')}, sandbox.pool.size ${poolSize}, limits.concurrency ${config.limits.concurrency}\n`);

    const figures: RuntimeFigures[] = [];
    for (const runtime of runtimes) {
      const runtimeDir = path.join(dir, runtime);
      await mkdir(runtimeDir);
      figures.push(await measureRuntime(docker, runtimeDir, runtime, poolSize));
    }
    const review = await benchReview();
    const audit = await benchAudit();
    const cache = await benchCache();
    const egress = await benchEgress();
    const soak = runs > 0 ? await measureSoak(docker, dir, runs) : null;
    const brokerAddedMs = egress.broker.p50_ms - egress.direct.p50_ms;

    const [runc, runsc] = figures;
    printTable([
      ['measure', 'figure', 'target'],
      ...figures.flatMap((each) => runtimeRows(each, poolSize)),
      ...(runc?.runtime === 'runc' && runsc ? comparisonRows(runc, runsc) : []),
      [`review of a ${review.lines}-line skill`, `p50 ${review.p50_ms.toFixed(2)} ms, p99 ${review.p99_ms.toFixed(2)} ms (${review.iterations} reviews)`, `p50 < 20 ms  ${verdict(review.p50_ms < 20)}`],
      ['warm run, review cache on', `p50 ${ms(cache.with_cache.run_p50_ms)} ms (read + second look p50 ${cache.with_cache.second_look_p50_ms.toFixed(2)} ms; ${cache.runs} runs)`, ''],
      ['warm run, review cache off', `p50 ${ms(cache.without_cache.run_p50_ms)} ms (read + second look p50 ${cache.without_cache.second_look_p50_ms.toFixed(2)} ms; ${cache.runs} runs)`, '(no target)'],
      ['audit record, 1 caller', `p50 ${audit.sequential.p50_ms.toFixed(3)} ms, p99 ${audit.sequential.p99_ms.toFixed(3)} ms (raw write+fdatasync p50 ${audit.raw_fdatasync.p50_ms.toFixed(3)} ms)`, '(no target)'],
      [`audit record, ${audit.concurrent.callers} callers`, `p50 ${audit.concurrent.p50_ms.toFixed(3)} ms, p99 ${audit.concurrent.p99_ms.toFixed(3)} ms, ${audit.concurrent.events_per_s} events/s`, '(no target)'],
      ['HTTP request from the host, direct', `p50 ${egress.direct.p50_ms.toFixed(3)} ms, p99 ${ms(egress.direct.p99_ms)} ms (${egress.direct.requests} requests, kept alive)`, ''],
      ['same through the broker, audited', `p50 ${egress.broker.p50_ms.toFixed(3)} ms, p99 ${ms(egress.broker.p99_ms)} ms (with an audit that costs nothing: p50 ${egress.brokerWithoutAuditSync.p50_ms.toFixed(3)} ms)`, ''],
      ['broker added latency (p50 - p50)', `${brokerAddedMs.toFixed(3)} ms`, `< ${TARGETS.brokerAddedMs} ms  ${verdict(brokerAddedMs < TARGETS.brokerAddedMs)}`],
      ['net.get from a skill, in-container', egress.fromSkill ? `p50 ${ms(egress.fromSkill.p50_ms)} ms, p99 ${ms(egress.fromSkill.p99_ms)} ms (${egress.fromSkill.requests} requests: attach streams + broker)` : 'runner image missing', '(no target)'],
      ...(soak ? soakRows(soak) : []),
    ]);
  } finally {
    agent.destroy();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
