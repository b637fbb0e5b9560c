// `node dist/server/src/main.js` as an operator runs it, for tests of the process itself: start-up,
// crashes, signals. Requests go over real HTTP, each on its own connection.
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { PROJECT_ROOT } from '../../server/src/paths.js';

export const MAIN = path.join(PROJECT_ROOT, 'dist', 'server', 'src', 'main.js');

export interface Running {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  exited: Promise<void>;
}

/** Spawns main.js on `configFile` without waiting for anything. */
export function spawnMain(configFile: string, env: NodeJS.ProcessEnv = {}): Running {
  const child = spawn(process.execPath, [MAIN], { env: { ...process.env, TOOL_EXECUTOR_CONFIG: configFile, LOG_LEVEL: 'info', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk; });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk; });
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}

/** Spawns main.js and waits until it serves; rejects with its stderr when it exits first. */
export async function startMain(configFile: string, env: NodeJS.ProcessEnv = {}): Promise<Running> {
  const running = spawnMain(configFile, env);
  await new Promise<void>((resolve, reject) => {
    const check = (): void => {
      if (running.stderr().includes('tool executor serving')) resolve();
    };
    running.child.stderr!.on('data', check);
    running.child.once('exit', (code) => reject(new Error(`main.js exited (${code}) before serving: ${running.stderr().slice(-2000)}`)));
  });
  return running;
}

/** SIGKILLs (or signals) a running main.js unless it already ended, and waits for it. */
export async function stopMain(running: Running | undefined, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (!running) return;
  if (running.child.exitCode === null && running.child.signalCode === null) running.child.kill(signal);
  await running.exited;
}

export interface Answer {
  status: number;
  requestId: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a test reads whatever JSON the service answered
  body: any;
}

export async function call(port: number, method: string, url: string, key: string, body?: object): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const request = http.request({
      host: '127.0.0.1', port, method, path: url, agent: false,
      headers: { Authorization: `Bearer ${key}`, ...(payload ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) } : {}) },
    }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (chunk: string) => { text += chunk; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, requestId: String(res.headers['x-request-id']), body: text ? JSON.parse(text) : null }));
    });
    request.once('error', reject);
    request.end(payload);
  });
}
