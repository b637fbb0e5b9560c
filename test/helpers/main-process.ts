// `node dist/server/src/main.js` as an operator runs it, for the tests that kill it: start it on a
// config file and wait until it serves, and call it over plain HTTP (no client that retries).
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { PROJECT_ROOT } from '../../server/src/paths.js';

const MAIN = path.join(PROJECT_ROOT, 'dist', 'server', 'src', 'main.js');

export interface Running {
  child: ChildProcess;
  stdout(): string;
  exited: Promise<void>;
}

export async function startMain(configFile: string): Promise<Running> {
  const child = spawn(process.execPath, [MAIN], { env: { ...process.env, TOOL_EXECUTOR_CONFIG: configFile, LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk; });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk; });
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const check = (): void => {
      if (stderr.includes('tool executor serving')) resolve();
    };
    child.stderr!.on('data', check);
    child.once('exit', (code) => reject(new Error(`main.js exited (${code}) before serving: ${stderr.slice(-2000)}`)));
  });
  return { child, stdout: () => stdout, exited };
}

export async function call(port: number, method: string, url: string, key: string, body?: object): Promise<{ status: number; requestId: string; body: unknown }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const request = http.request({
      host: '127.0.0.1', port, method, path: url, agent: false,
      headers: { Authorization: `Bearer ${key}`, ...(payload ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) } : {}) },
    }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (chunk: string) => { text += chunk; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, requestId: String(res.headers['x-request-id']), body: JSON.parse(text) }));
    });
    request.once('error', reject);
    request.end(payload);
  });
}

