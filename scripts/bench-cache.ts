// bench-cache: warm-run latency with the review cache and the store's in-memory copies, against the
// same runs without them (every run reads the skill from disk and reviews it again). Two services
// in this process side by side, each over HTTP on its own temporary data_dir with word-count
// preinstalled and the default warm pool; one client taking the two in turns, runs a moment apart,
// after a warm-up. Beside the whole run, the part the caches replace — reading the skill and its second
// look (store.read + control.review) — timed alone, since on a loaded host the container's share of
// a run varies by more than that part takes. `benchCache()` returns the figures for bench.ts; run
// directly, this prints them.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import winston from 'winston';
import { createService } from '../server/src/app.js';
import { sha256Hex } from '../server/src/auth/keys.js';
import { buildConfig } from '../server/src/config/index.js';
import { loadContracts } from '../server/src/contracts/index.js';

const RUNS = 40;
const SECOND_LOOKS = 200;
const WARMUP = 5;
const THINK_MS = 250;

export interface CacheBenchResult {
  runs: number;
  with_cache: WarmRunFigures;
  without_cache: WarmRunFigures;
}

interface WarmRunFigures {
  /** A whole run over HTTP. */
  run_p50_ms: number;
  /** store.read + control.review of the same skill, as a run does before the engine. */
  second_look_p50_ms: number;
}

function p50(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface BenchService {
  /** One warm word-count run over HTTP; resolves with its latency. */
  run(): Promise<number>;
  /** store.read + control.review of word-count, as a run does before the engine; resolves with its latency. */
  secondLook(): Promise<number>;
  close(): Promise<void>;
}

/** The service on its own temporary data_dir, with or without the caches, listening on a free port. */
async function startService(caches: boolean): Promise<BenchService> {
  const contracts = loadContracts();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'te-bench-cache-'));
  const key = `te_bench_${randomBytes(18).toString('base64url')}`;
  const config = buildConfig({
    server: { host: '127.0.0.1', port: 0 },
    data_dir: dir,
    registry: { preinstall: ['word-count'] },
    auth: { keys: [{ id: 'bench', role: 'admin', sha256: sha256Hex(key) }] },
  }, contracts);
  const logger = winston.createLogger({ silent: true, transports: [new winston.transports.Console()] });
  const service = await createService(config, { contracts, logger, caches });
  const server = await service.listen();
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/skills/run`;
  const record = service.store.find('word-count')!;
  return {
    async run() {
      const started = performance.now();
      const res = await fetch(url, {
        method: 'POST',
        headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ skill: 'word-count', input: { text: 'the quick brown fox' } }),
      });
      const body = (await res.json()) as { status?: string };
      if (res.status !== 200 || body.status !== 'succeeded') throw new Error(`a run did not succeed: ${res.status} ${JSON.stringify(body).slice(0, 300)}`);
      return performance.now() - started;
    },
    async secondLook() {
      const started = performance.now();
      await service.control.review(await service.store.read(record), service.policy.controlPolicy());
      return performance.now() - started;
    },
    async close() {
      await service.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Both services side by side, their runs taken in turns, so a change in the host's load (shared
 * machines) falls on both alike.
 */
export async function benchCache(): Promise<CacheBenchResult> {
  const withCache = await startService(true);
  const withoutCache = await startService(false);
  try {
    const services = [withCache, withoutCache];
    for (let i = 0; i < WARMUP; i++) for (const service of services) await service.run();
    const runs: [number[], number[]] = [[], []];
    for (let i = 0; i < RUNS; i++) {
      for (const [index, service] of services.entries()) {
        runs[index]!.push(await service.run());
        await sleep(THINK_MS);
      }
    }
    const looks: [number[], number[]] = [[], []];
    for (let i = 0; i < SECOND_LOOKS; i++) for (const [index, service] of services.entries()) looks[index]!.push(await service.secondLook());
    return {
      runs: RUNS,
      with_cache: { run_p50_ms: p50(runs[0]), second_look_p50_ms: p50(looks[0]) },
      without_cache: { run_p50_ms: p50(runs[1]), second_look_p50_ms: p50(looks[1]) },
    };
  } finally {
    await withCache.close();
    await withoutCache.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = await benchCache();
  console.log(`warm run of word-count, ${result.runs} runs each, ${THINK_MS} ms apart`);
  for (const [label, figures] of [['with the caches', result.with_cache], ['without', result.without_cache]] as const) {
    console.log(`${label}: run p50 ${figures.run_p50_ms.toFixed(1)} ms, read + second look p50 ${figures.second_look_p50_ms.toFixed(2)} ms`);
  }
}
