// The service as `npm start` runs it (node dist/server/src/main.js, createService underneath), in a
// child process on a temporary data_dir with a generated admin key, so its memory can be read from
// /proc without the benchmark's own heap in the figure; and a keep-alive HTTP client for it.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { open, readdir, readFile, writeFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { sha256Hex } from '../server/src/auth/keys.js';
import { PROJECT_ROOT } from '../server/src/paths.js';
import { freePort } from './lib/free-port.js';

const MAIN = path.join(PROJECT_ROOT, 'dist', 'server', 'src', 'main.js');
const READY_TIMEOUT_MS = 60_000;

export interface BenchServer {
  pid: number;
  dataDir: string;
  /** POST /v1/skills/run; resolves with the status and the parsed body. */
  run(body: object): Promise<{ status: number; body: unknown }>;
  /** Starts a new peak: /proc/<pid>/status VmHWM counts from here. */
  resetPeakRss(): Promise<boolean>;
  /** VmRSS and VmHWM of the server process, and VmRSS's anonymous part (RssAnon: not code or files), in MB (10^6 bytes). */
  memory(): Promise<{ rssMb: number; peakMb: number; anonMb: number }>;
  /** How many file descriptors the server process holds (sockets to the engine and clients among them). */
  openFds(): Promise<number>;
  /** How the server process ended ("exit code 1", "signal SIGKILL"), or null while it runs. */
  ended(): string | null;
  /** GET /metrics: the Prometheus text. */
  metrics(): Promise<string>;
  stop(): Promise<void>;
}

function request(agent: http.Agent, port: number, key: string, method: string, url: string, body?: object): Promise<{ status: number; body: unknown }> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1', port, method, path: url, agent,
      headers: { Authorization: `Bearer ${key}`, ...(payload ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) } : {}) },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        try {
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) });
        } catch {
          resolve({ status: res.statusCode ?? 0, body: text });
        }
      });
      res.on('error', reject);
    });
    req.once('error', reject);
    req.end(payload);
  });
}

/** A /proc/<pid>/status field ("VmRSS:  123456 kB", where kB means KiB) in MB. */
function megabytes(status: string, field: string): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
  return match ? (Number(match[1]) * 1024) / 1e6 : NaN;
}

async function waitForHealth(agent: http.Agent, port: number, child: ChildProcess, logFile: string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break;
    const healthy = await request(agent, port, '', 'GET', '/healthz').then((res) => res.status === 200, () => false);
    if (healthy) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const log = await readFile(logFile, 'utf8').catch(() => '');
  throw new Error(`the service did not come up on port ${port}: ${log.slice(-2000)}`);
}

/** Starts main.js on `dir`/data with a fresh admin key; `extraConfig` is YAML appended to the config file. */
export async function startBenchServer(dir: string, extraConfig = ''): Promise<BenchServer> {
  const port = await freePort();
  const key = `te_bench_${randomBytes(18).toString('base64url')}`;
  const dataDir = path.join(dir, 'data');
  const configFile = path.join(dir, 'config.yaml');
  await writeFile(configFile, [
    `server: {host: 127.0.0.1, port: ${port}}`,
    `data_dir: ${JSON.stringify(dataDir)}`,
    `auth: {keys: [{id: bench, role: admin, sha256: ${sha256Hex(key)}}]}`,
    extraConfig,
  ].join('\n') + '\n');
  const logFile = path.join(dir, 'server.log');
  const log = await open(logFile, 'w');
  // warn: one info line per request would measure the console, not the service.
  const child = spawn(process.execPath, [MAIN], {
    env: { ...process.env, TOOL_EXECUTOR_CONFIG: configFile, LOG_LEVEL: 'warn' },
    stdio: ['ignore', log.fd, log.fd],
  });
  await log.close();
  let ended: string | null = null;
  const exited = new Promise<void>((resolve) => child.once('exit', (code, signal) => {
    ended = signal !== null ? `signal ${signal}` : `exit code ${code}`;
    resolve();
  }));
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  try {
    await waitForHealth(agent, port, child, logFile);
  } catch (error) {
    child.kill('SIGKILL');
    agent.destroy();
    throw error;
  }
  const status = (): Promise<string> => readFile(`/proc/${child.pid}/status`, 'utf8');
  return {
    pid: child.pid!,
    dataDir,
    run: (body) => request(agent, port, key, 'POST', '/v1/skills/run', body),
    async resetPeakRss() {
      // "5" resets the peak resident set size (proc(5), clear_refs): the next VmHWM is this phase's.
      return writeFile(`/proc/${child.pid}/clear_refs`, '5').then(() => true, () => false);
    },
    async memory() {
      const text = await status();
      return { rssMb: megabytes(text, 'VmRSS'), peakMb: megabytes(text, 'VmHWM'), anonMb: megabytes(text, 'RssAnon') };
    },
    ended: () => ended,
    async openFds() {
      return (await readdir(`/proc/${child.pid}/fd`)).length;
    },
    async metrics() {
      const { status, body } = await request(agent, port, '', 'GET', '/metrics');
      if (status !== 200 || typeof body !== 'string') throw new Error(`GET /metrics answered ${status}`);
      return body;
    },
    async stop() {
      agent.destroy();
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
