// Between the engine's net channel (JSON as the harness's `net` module writes it, bodies in base64)
// and the broker's session (typed requests, Buffers). A request of the wrong shape is answered as
// `invalid`, never thrown: the skill gets a NetError, the run goes on.
import type { EgressReply, EgressRequest, EgressSession } from '../egress/index.js';
import type { NetExchange } from '../engine/index.js';

function invalid(message: string): Record<string, unknown> {
  return { ok: false, error: { kind: 'invalid', message } };
}

function requestOf(wire: Record<string, unknown>): EgressRequest | string {
  const { method, url, headers, body, timeout_ms: timeoutMs } = wire;
  if (typeof method !== 'string' || typeof url !== 'string') return 'method and url must be strings';
  if (headers !== undefined && (typeof headers !== 'object' || headers === null || Object.values(headers).some((v) => typeof v !== 'string'))) {
    return 'headers must map names to strings';
  }
  if (body !== undefined && typeof body !== 'string') return 'the body must be base64 text';
  if (timeoutMs !== undefined && !(typeof timeoutMs === 'number' && timeoutMs > 0)) return 'timeout_ms must be a positive number';
  return {
    method, url,
    headers: headers as Record<string, string> | undefined,
    body: body === undefined ? null : Buffer.from(body, 'base64'),
    timeout_ms: timeoutMs,
  };
}

function wireOf(reply: EgressReply): Record<string, unknown> {
  if (!reply.ok) return { ok: false, error: reply.error };
  return { ok: true, status: reply.status, headers: reply.headers, body: reply.body.toString('base64') };
}

export function netExchange(session: EgressSession): NetExchange {
  return async (wire) => {
    const request = requestOf(wire);
    if (typeof request === 'string') return invalid(request);
    return wireOf(await session.request(request));
  };
}
