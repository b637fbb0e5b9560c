// The checks a start makes before anything is opened or loaded: a port in use, an unusable
// data_dir and an engine that does not answer each stop it with one line that says what to fix.
// This module is light on purpose (node's own http and net, no engine client, no app): on a
// loaded machine the whole service takes seconds to load, and a start that cannot succeed should
// say so before that.
import http from 'node:http';
import net from 'node:net';
import { DEFAULT_DOCKER_SOCKET, type Config } from '../config/index.js';
import { ensureWritableDir } from '../durable/index.js';

// How long the engine has to answer its ping before the start gives up on it.
const ENGINE_PING_MS = 3000;

/** Why the server could not listen, in words that say what to change. */
export function listenProblem(error: NodeJS.ErrnoException, where: Config['server']): string {
  const at = `${where.host}:${where.port}`;
  switch (error.code) {
    case 'EADDRINUSE':
      return `server.port ${where.port}: ${at} is already in use by another process; stop it or choose another port`;
    case 'EACCES':
      return `server.port ${where.port}: listening on ${at} needs privileges this process lacks; choose a port above 1023`;
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
      return `server.host ${where.host}: not an address of this machine`;
    default:
      return `cannot listen on ${at}: ${error.message}`;
  }
}

/** Binds and frees the port, so a port in use is found before anything else starts. */
function assertPortFree(where: Config['server']): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', (error: NodeJS.ErrnoException) => reject(new Error(listenProblem(error, where))));
    probe.listen(where.port, where.host, () => probe.close(() => resolve()));
  });
}

/** The engine's `GET /_ping` over its socket answers OK within ENGINE_PING_MS. */
function engineAnswers(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const request = http.get({ socketPath, path: '/_ping', timeout: ENGINE_PING_MS }, (response) => {
      response.resume();
      resolve(response.statusCode === 200);
    });
    request.once('timeout', () => request.destroy());
    request.once('error', () => resolve(false));
  });
}

/** Throws an Error whose message is the one line to show, for the first check that fails. */
export async function checkBeforeStart(config: Config): Promise<void> {
  if (config.server.port !== 0) await assertPortFree(config.server);
  await ensureWritableDir(config.data_dir);
  const socket = config.sandbox.docker_socket ?? DEFAULT_DOCKER_SOCKET;
  if (!(await engineAnswers(socket))) {
    throw new Error(`the container engine does not answer at ${socket}: start Docker (npm run setup installs and starts it) or set sandbox.docker_socket`);
  }
}
