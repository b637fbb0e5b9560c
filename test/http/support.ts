// What the HTTP tests share: the SPEC's route table (written from SPEC §3, independently of the
// server's own table), a logger that keeps what it logs, and the error-shape assertion.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import type { Response } from 'supertest';
import winston from 'winston';
import type { Role } from '../../server/src/auth/index.js';
import { ERROR_STATUS, type ErrorCode } from '../../server/src/errors.js';
import { loadContracts } from '../../server/src/contracts/index.js';

const contracts = loadContracts();

export interface SpecRoute {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** As the SPEC writes it. */
  path: string;
  /** A concrete URL for it (path parameters filled in with names that exist nowhere). */
  url: string;
  role: Role | 'public';
}

/** SPEC §3 and §6, route by route. */
export const SPEC_ROUTES: SpecRoute[] = [
  { method: 'POST', path: '/v1/skills/create', url: '/v1/skills/create', role: 'author' },
  { method: 'POST', path: '/v1/skills/run', url: '/v1/skills/run', role: 'client' },
  { method: 'POST', path: '/v1/skills/generate', url: '/v1/skills/generate', role: 'author' },
  { method: 'POST', path: '/v1/skills/install', url: '/v1/skills/install', role: 'admin' },
  { method: 'POST', path: '/v1/skills/uninstall', url: '/v1/skills/uninstall', role: 'admin' },
  { method: 'POST', path: '/v1/skills/promote', url: '/v1/skills/promote', role: 'admin' },
  { method: 'POST', path: '/v1/runs', url: '/v1/runs', role: 'client' },
  { method: 'GET', path: '/v1/runs/{id}', url: '/v1/runs/00000000-0000-0000-0000-000000000000', role: 'client' },
  { method: 'GET', path: '/v1/skills', url: '/v1/skills', role: 'client' },
  { method: 'GET', path: '/v1/skills/{name}', url: '/v1/skills/no-such-skill', role: 'client' },
  { method: 'GET', path: '/v1/reviews', url: '/v1/reviews', role: 'admin' },
  { method: 'POST', path: '/v1/reviews/{id}/approve', url: '/v1/reviews/no-such-review/approve', role: 'admin' },
  { method: 'POST', path: '/v1/reviews/{id}/reject', url: '/v1/reviews/no-such-review/reject', role: 'admin' },
  { method: 'GET', path: '/v1/audit', url: '/v1/audit', role: 'admin' },
  { method: 'GET', path: '/v1/audit/verify', url: '/v1/audit/verify', role: 'admin' },
  { method: 'GET', path: '/v1/me', url: '/v1/me', role: 'client' },
  { method: 'GET', path: '/v1/admin/status', url: '/v1/admin/status', role: 'admin' },
  { method: 'GET', path: '/v1/admin/limits', url: '/v1/admin/limits', role: 'admin' },
  { method: 'PUT', path: '/v1/admin/limits', url: '/v1/admin/limits', role: 'admin' },
  { method: 'POST', path: '/v1/admin/keys', url: '/v1/admin/keys', role: 'admin' },
  { method: 'GET', path: '/v1/admin/keys', url: '/v1/admin/keys', role: 'admin' },
  { method: 'DELETE', path: '/v1/admin/keys/{id}', url: '/v1/admin/keys/no-such-key', role: 'admin' },
  { method: 'GET', path: '/healthz', url: '/healthz', role: 'public' },
  { method: 'GET', path: '/readyz', url: '/readyz', role: 'public' },
  { method: 'GET', path: '/metrics', url: '/metrics', role: 'public' },
  { method: 'GET', path: '/openapi.json', url: '/openapi.json', role: 'public' },
];

export const ROLES: Role[] = ['client', 'author', 'admin'];

/** A winston logger that keeps every line it writes, to prove what never reaches the log. */
export function memoryLogger(level = 'debug'): { logger: winston.Logger; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  const logger = winston.createLogger({ level, format: winston.format.json(), transports: [new winston.transports.Stream({ stream })] });
  return { logger, lines };
}

/** The answer is the SPEC's error: that code, its status, the shape of contracts/error.json, the request id of the header. */
export function assertError(res: Response, code: ErrorCode): void {
  assert.equal(res.status, ERROR_STATUS[code], `expected ${code} (${ERROR_STATUS[code]}), got ${res.status}: ${res.text.slice(0, 300)}`);
  contracts.assert('error.json', res.body, 'error answer');
  const body = res.body as { error: { code: string; request_id: string } };
  assert.equal(body.error.code, code);
  assert.ok(res.headers['x-request-id'], 'X-Request-Id header');
  assert.equal(body.error.request_id, res.headers['x-request-id']);
  assert.doesNotMatch(res.text, /\bat .+\.(js|ts):\d+/, 'no stack trace');
}

/** A route that is in the SPEC but not mounted answers the unknown-route 404. */
export function isMissingRoute(res: Response): boolean {
  return res.status === 404 && typeof res.body?.error?.message === 'string' && res.body.error.message.startsWith('no route ');
}
