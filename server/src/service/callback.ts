// Callbacks of asynchronous runs: the URL is checked when the run is submitted and again at each
// delivery, against the address ranges a service must not be steered into (loopback, private,
// link-local, CGNAT, metadata) unless the admin opened them (config runs.callback_allow_cidrs). The
// connection goes to the address that was checked, so a DNS answer cannot change between the check
// and the request. The body is signed: X-Tool-Executor-Signature is
// `sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">` with the run's callback secret.
import { createHmac } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import http from 'node:http';
import https from 'node:https';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { ValidationError } from '../errors.js';

/** Ranges no callback reaches unless allowed: IANA special-purpose blocks a server must not be pointed at. */
const INTERNAL_RANGES: Array<[string, number, 'ipv4' | 'ipv6']> = [
  ['0.0.0.0', 8, 'ipv4'], ['10.0.0.0', 8, 'ipv4'], ['100.64.0.0', 10, 'ipv4'], ['127.0.0.0', 8, 'ipv4'],
  ['169.254.0.0', 16, 'ipv4'], ['172.16.0.0', 12, 'ipv4'], ['192.0.0.0', 24, 'ipv4'], ['192.168.0.0', 16, 'ipv4'],
  ['198.18.0.0', 15, 'ipv4'], ['224.0.0.0', 3, 'ipv4'],
  ['::', 128, 'ipv6'], ['::1', 128, 'ipv6'], ['::ffff:0:0', 96, 'ipv6'], ['64:ff9b::', 96, 'ipv6'], ['fc00::', 7, 'ipv6'], ['fe80::', 10, 'ipv6'], ['ff00::', 8, 'ipv6'],
];

export interface CallbackPolicy {
  /** CIDRs (e.g. 127.0.0.0/8) an admin opened among the internal ranges. */
  allowCidrs: readonly string[];
  attempts: number;
  backoffMs: number;
  timeoutMs: number;
}

function blockList(ranges: Array<[string, number, 'ipv4' | 'ipv6']>): BlockList {
  const list = new BlockList();
  for (const [address, prefix, family] of ranges) list.addSubnet(address, prefix, family);
  return list;
}

function parseCidr(cidr: string): [string, number, 'ipv4' | 'ipv6'] {
  const [address = '', prefix = ''] = cidr.split('/');
  const family = isIP(address);
  if (family === 0) throw new Error(`runs.callback_allow_cidrs: ${cidr} is not a CIDR`);
  return [address, Number(prefix), family === 4 ? 'ipv4' : 'ipv6'];
}

export class CallbackTarget {
  private readonly internal = blockList(INTERNAL_RANGES);
  private readonly allowed: BlockList;

  constructor(private readonly policy: CallbackPolicy) {
    this.allowed = blockList(policy.allowCidrs.map(parseCidr));
  }

  private permits(address: string): boolean {
    const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    return !this.internal.check(address, family) || this.allowed.check(address, family);
  }

  /** The URL and the one address it will be reached at; a ValidationError (400) when it may not be. */
  async resolve(raw: string): Promise<{ url: URL; address: string; family: 4 | 6 }> {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new ValidationError('callback_url is not a URL', { field: 'callback_url' });
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ValidationError('callback_url must be http or https', { field: 'callback_url' });
    if (url.username || url.password) throw new ValidationError('callback_url may not carry credentials', { field: 'callback_url' });
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    const answers = isIP(host) ? [{ address: host, family: isIP(host) }] : await lookup(host, { all: true }).catch(() => []);
    if (answers.length === 0) throw new ValidationError(`callback_url: ${host} does not resolve`, { field: 'callback_url' });
    const refused = answers.find((answer) => !this.permits(answer.address));
    if (refused) {
      throw new ValidationError(`callback_url resolves to ${refused.address}, an internal address runs.callback_allow_cidrs does not open`, { field: 'callback_url', address: refused.address });
    }
    const first = answers[0]!;
    return { url, address: first.address, family: first.family === 6 ? 6 : 4 };
  }

  /** One POST of `body`, to the checked address; resolves with the status, rejects on a network error. */
  private async post(raw: string, body: string, headers: Record<string, string>): Promise<number> {
    const { url, address, family } = await this.resolve(raw);
    const pinned: LookupFunction = (_host, options, done) => {
      if ((options as { all?: boolean }).all) (done as unknown as (e: null, a: Array<{ address: string; family: number }>) => void)(null, [{ address, family }]);
      else done(null, address, family);
    };
    const client = url.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      const request = client.request(url, {
        method: 'POST', lookup: pinned, timeout: this.policy.timeoutMs,
        headers: { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(body)), ...headers },
      }, (answer) => {
        answer.resume();
        answer.on('end', () => resolve(answer.statusCode ?? 0));
      });
      request.on('timeout', () => request.destroy(new Error(`no answer within ${this.policy.timeoutMs} ms`)));
      request.on('error', reject);
      request.end(body);
    });
  }

  /**
   * POSTs `body` until a 2xx, at most `attempts` times with doubling waits; `onAttempt` is told each
   * outcome. Never throws: the last failure is returned. `signal` ends the waiting (service stop).
   */
  async deliver(raw: string, body: string, secret: string, runId: string, onAttempt: (attempt: number, error: string | null) => Promise<void>, signal: AbortSignal): Promise<string | null> {
    let lastError: string | null = null;
    for (let attempt = 1; attempt <= this.policy.attempts; attempt += 1) {
      const timestamp = String(Math.floor(Date.now() / 1000));
      const signature = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
      try {
        const status = await this.post(raw, body, {
          'X-Tool-Executor-Run-Id': runId,
          'X-Tool-Executor-Timestamp': timestamp,
          'X-Tool-Executor-Signature': `sha256=${signature}`,
        });
        lastError = status >= 200 && status < 300 ? null : `answered ${status}`;
      } catch (error) {
        lastError = error instanceof Error ? error.message : String(error);
      }
      await onAttempt(attempt, lastError);
      if (lastError === null) return null;
      if (attempt < this.policy.attempts) {
        const waited = await sleep(this.policy.backoffMs * 2 ** (attempt - 1), true, { signal }).catch(() => false);
        if (!waited) return lastError;
      }
    }
    return lastError;
  }
}
