// The network broker (SPEC §11): the one door from a skill to the network. Each request of a run
// goes through its session, which checks the origin against what an admin approved, connects only
// to addresses it resolved and checked itself, adds the configured secrets, keeps the run's budgets,
// follows redirects one checked hop at a time, and writes one audit event per hop.
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import type { LookupFunction } from 'node:net';
import { Agent, request as undiciRequest } from 'undici';
import type { ActionCall, Auditor } from '../audit/index.js';
import { AddressPolicy, isAddressLiteral } from './addresses.js';
import { originMatches, originText, parseOrigins, targetOf, type OriginPattern, type Target } from './origins.js';
import { EgressFailure, type EgressConfig, type EgressReply, type EgressRequest, type EgressRun } from './types.js';

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
/** Headers that belong to the connection, not the request: the broker owns them. */
const RESERVED_HEADERS = new Set(['host', 'connection', 'keep-alive', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'content-length', 'expect', 'proxy-authorization', 'proxy-connection']);
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_HOPS = 5;

/** Thrown from the DNS lookup so that the refusal, not a connection error, reaches the skill. */
class AddressRefused extends Error {}

export class EgressBroker {
  private readonly addresses: AddressPolicy;
  private readonly secrets: Array<{ origin: OriginPattern; header: string; value: string }>;
  /** One pool for every run: keep-alive connections are per origin, to addresses already checked. */
  private readonly agent: Agent;

  constructor(private readonly deps: { config: EgressConfig; auditor: Pick<Auditor, 'ended'> }) {
    this.addresses = new AddressPolicy(deps.config.allow_cidrs);
    this.secrets = deps.config.secrets.map((s) => ({ origin: parseOrigins([s.origin])[0] as OriginPattern, header: s.header.toLowerCase(), value: s.value }));
    this.agent = new Agent({ connect: { lookup: this.checkedLookup() }, keepAliveTimeout: 4000 });
  }

  /** Resolves a name and hands the socket only the addresses the policy lets through. */
  private checkedLookup(): LookupFunction {
    return (hostname, options, callback) => {
      dnsLookup(hostname, { all: true, family: options.family ?? 0 }, (error, found: LookupAddress[]) => {
        if (error) return callback(error, '', 0);
        const allowed = found.filter((a) => this.addresses.refusal(a.address) === null);
        if (allowed.length === 0) {
          const why = found.map((a) => this.addresses.refusal(a.address)).find(Boolean) ?? `${hostname} resolved to no address`;
          return callback(new AddressRefused(`${hostname} resolves to ${why}`), '', 0);
        }
        const first = allowed[0] as LookupAddress;
        if (options.all) (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, allowed);
        else callback(null, first.address, first.family);
      });
    };
  }

  session(run: EgressRun): EgressSession {
    const shared: SessionContext = {
      agent: this.agent,
      addresses: this.addresses,
      auditor: this.deps.auditor,
      config: this.deps.config,
      secretHeaders: (target) => Object.fromEntries(this.secrets.filter((s) => originMatches(s.origin, target)).map((s) => [s.header, s.value])),
    };
    return new EgressSession(shared, run, parseOrigins(run.origins));
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}

/** What every session shares: the connection pool, the address policy, the auditor, the config. */
interface SessionContext {
  agent: Agent;
  addresses: AddressPolicy;
  auditor: Pick<Auditor, 'ended'>;
  config: EgressConfig;
  /** The `egress.secrets` headers for a destination. */
  secretHeaders(target: Target): Record<string, string>;
}

interface Hop {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body: Buffer | null;
}

interface HopRecord {
  method: string;
  /** Null for a request whose URL did not parse. */
  url: URL | null;
  status: number | null;
  bytesOut: number;
  bytesIn: number;
  startedAt: number;
}

/** An error, its causes and, for an AggregateError (one per address tried), its members. */
function causes(error: unknown, depth = 0): unknown[] {
  if (!(error instanceof Error) || depth > 4) return [error];
  const members = error instanceof AggregateError ? error.errors : [];
  return [error, ...[error.cause, ...members].filter((e) => e !== undefined).flatMap((e) => causes(e, depth + 1))];
}

/** One run's budget and its approved origins. */
export class EgressSession {
  private requests = 0;
  private bytes = 0;
  private readonly auditing: Array<Promise<void>> = [];
  private auditFailure: unknown;
  /** Aborted when the run ends: a request still under way (the container was killed) stops. */
  private readonly runEnded = new AbortController();
  private readonly inFlight = new Set<Promise<unknown>>();
  /** The run's caller, as each hop's audit line names it. */
  private readonly call: ActionCall;

  constructor(private readonly shared: SessionContext, private readonly run: EgressRun, private readonly origins: OriginPattern[]) {
    this.call = { actor: run.actor === null ? null : { id: run.actor }, requestId: run.requestId };
  }

  /** Answers a request of the skill: the final response, or the reason it was not made. Never throws. */
  async request(request: EgressRequest): Promise<EgressReply> {
    const answer = this.follow(request);
    this.inFlight.add(answer);
    try {
      return await answer;
    } finally {
      this.inFlight.delete(answer);
    }
  }

  private async follow(request: EgressRequest): Promise<EgressReply> {
    try {
      let hop = this.checkedFirstHop(request);
      for (let hops = 0; ; hops++) {
        const response = await this.send(hop, request.timeout_ms);
        const location = response.headers.location;
        if (!REDIRECTS.has(response.status) || !location) return { ok: true, ...response };
        if (hops + 1 >= MAX_HOPS) throw new EgressFailure('refused', `more than ${MAX_HOPS} redirects from ${request.url}`);
        hop = this.nextHop(hop, response.status, location);
      }
    } catch (error) {
      if (error instanceof EgressFailure) return { ok: false, error: { kind: error.kind, message: error.message } };
      throw error;
    }
  }

  /** The first hop, or a refusal that is counted and audited like any request. */
  private checkedFirstHop(request: EgressRequest): Hop {
    try {
      return this.firstHop(request);
    } catch (error) {
      if (!(error instanceof EgressFailure)) throw error;
      const record: HopRecord = { method: String(request.method).slice(0, 16), url: null, status: null, bytesOut: 0, bytesIn: 0, startedAt: performance.now() };
      const failure = this.countRequest() ?? error;
      this.audit(record, failure.kind, failure.message);
      throw failure;
    }
  }

  /** Counts one request against the run's budget; the refusal once it is spent. */
  private countRequest(): EgressFailure | null {
    const { max_requests } = this.shared.config;
    this.requests += 1;
    return this.requests > max_requests ? new EgressFailure('budget', `the run's budget of ${max_requests} requests (egress.max_requests) is spent`) : null;
  }

  private firstHop(request: EgressRequest): Hop {
    const method = String(request.method ?? '').toUpperCase();
    if (!METHODS.has(method)) throw new EgressFailure('invalid', `method ${JSON.stringify(request.method)} is not one of ${[...METHODS].join(', ')}`);
    let url: URL;
    try {
      url = new URL(request.url);
    } catch {
      throw new EgressFailure('invalid', `${JSON.stringify(request.url)} is not an absolute http(s) URL`);
    }
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers ?? {})) {
      const lower = name.toLowerCase();
      if (RESERVED_HEADERS.has(lower)) throw new EgressFailure('invalid', `the header ${name} is set by the broker, not the skill`);
      headers[lower] = String(value);
    }
    return { method, url, headers, body: request.body ?? null };
  }

  /** The request a redirect asks for: 303 (and 301/302 after a POST) become a GET without body; credentials stay with their origin. */
  private nextHop(previous: Hop, status: number, location: string): Hop {
    let url: URL;
    try {
      url = new URL(location, previous.url);
    } catch {
      throw new EgressFailure('refused', `redirect to ${JSON.stringify(location)}, which is not a URL`);
    }
    const toGet = status === 303 || ((status === 301 || status === 302) && previous.method === 'POST');
    const headers = { ...previous.headers };
    if (url.origin !== previous.url.origin) {
      delete headers.authorization;
      delete headers.cookie;
    }
    if (toGet) delete headers['content-type'];
    return { method: toGet && previous.method !== 'HEAD' ? 'GET' : previous.method, url, headers, body: toGet ? null : previous.body };
  }

  private check(hop: Hop): Target {
    const target = targetOf(hop.url);
    if (!target) throw new EgressFailure('refused', `${hop.url.protocol} is not http or https`);
    if (hop.url.username || hop.url.password) throw new EgressFailure('invalid', 'credentials in the URL are not sent; use a header');
    const origin = originText(target);
    if (this.origins.length === 0) throw new EgressFailure('refused', `${origin}: skill ${this.run.skill}@${this.run.version} has no network origin approved by an admin`);
    if (!this.origins.some((o) => originMatches(o, target))) {
      throw new EgressFailure('refused', `${origin} is not among the origins approved for ${this.run.skill}@${this.run.version} (${this.origins.map((o) => o.text).join(', ')})`);
    }
    if (isAddressLiteral(target.host)) {
      const refusal = this.shared.addresses.refusal(target.host);
      if (refusal) throw new EgressFailure('refused', refusal);
    }
    return target;
  }

  private spend(bytes: number): void {
    const { max_bytes } = this.shared.config;
    this.bytes += bytes;
    if (this.bytes > max_bytes) throw new EgressFailure('budget', `the run's network budget of ${max_bytes} bytes (egress.max_bytes, out and in) is spent`);
  }

  /** One hop: checked, counted, sent, read within the budget, audited whatever happened. */
  private async send(hop: Hop, timeoutMs: number | undefined): Promise<{ status: number; headers: Record<string, string>; body: Buffer }> {
    const { agent, config } = this.shared;
    const record: HopRecord = { method: hop.method, url: hop.url, status: null, bytesOut: 0, bytesIn: 0, startedAt: performance.now() };
    const deadlineMs = Math.min(timeoutMs ?? config.timeout_ms, config.timeout_ms);
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), deadlineMs);
    const stop = (): void => abort.abort();
    this.runEnded.signal.addEventListener('abort', stop);
    try {
      if (this.runEnded.signal.aborted) throw new EgressFailure('connection', 'the run has ended');
      if (this.auditFailure !== undefined) throw new EgressFailure('refused', 'the audit log cannot be written: no request goes out until it can');
      const overBudget = this.countRequest();
      if (overBudget) throw overBudget;
      const target = this.check(hop);
      record.bytesOut = hop.body?.length ?? 0;
      this.spend(record.bytesOut);
      const response = await undiciRequest(hop.url, {
        dispatcher: agent,
        method: hop.method as 'GET',
        headers: { ...hop.headers, ...this.shared.secretHeaders(target) },
        body: hop.body,
        signal: abort.signal,
      });
      record.status = response.statusCode;
      const chunks: Buffer[] = [];
      for await (const chunk of response.body as AsyncIterable<Buffer>) {
        record.bytesIn += chunk.length;
        this.spend(chunk.length);
        chunks.push(chunk);
      }
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(response.headers)) {
        if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
      }
      this.audit(record, 'ok', null);
      return { status: response.statusCode, headers, body: Buffer.concat(chunks) };
    } catch (error) {
      const failure = this.failureOf(error, hop, abort.signal.aborted, deadlineMs);
      this.audit(record, failure.kind, failure.message);
      throw failure;
    } finally {
      clearTimeout(timer);
      this.runEnded.signal.removeEventListener('abort', stop);
    }
  }

  private failureOf(error: unknown, hop: Hop, timedOut: boolean, deadlineMs: number): EgressFailure {
    if (error instanceof EgressFailure) return error;
    if (this.runEnded.signal.aborted) return new EgressFailure('connection', `${hop.method} ${hop.url.origin} stopped: the run has ended`);
    if (timedOut) return new EgressFailure('timeout', `${hop.method} ${originText(targetOf(hop.url) as Target)} took longer than ${deadlineMs} ms`);
    const refused = causes(error).find((e) => e instanceof AddressRefused);
    if (refused) return new EgressFailure('refused', (refused as AddressRefused).message);
    const code = (error as { code?: string }).code;
    const reason = error instanceof Error ? error.message : String(error);
    // undici's refusal of what it cannot send (a header value with a line break …) is the skill's request, not the network.
    if (code === 'UND_ERR_INVALID_ARG') return new EgressFailure('invalid', `${hop.method} ${hop.url.origin} not sent: ${reason}`);
    return new EgressFailure('connection', `${hop.method} ${hop.url.origin} failed: ${code ? `${code} ` : ''}${reason}`);
  }

  /**
   * One audit line per hop (event `egress`, outcome `ok` or the failure's kind: `refused`, `budget`,
   * `invalid`, `timeout`, `connection`), through the Auditor like every line, but as an action
   * already `ended`: not awaited here, so the skill gets its answer without waiting for the disk,
   * and the run's response waits for every line (`close`). A line that cannot be written stops
   * every later request of the run (fail closed).
   */
  private audit(record: HopRecord, outcome: string, reason: string | null): void {
    const target = record.url ? targetOf(record.url) : null;
    const written = this.shared.auditor.ended('egress', this.call, {
      skill: this.run.skill,
      version: this.run.version,
      details: {
        run_id: this.run.runId,
        method: record.method,
        scheme: target?.scheme ?? null,
        host: target?.host ?? null,
        port: target?.port ?? null,
        path: record.url?.pathname ?? null,
        status: record.status,
        bytes_out: record.bytesOut,
        bytes_in: record.bytesIn,
        reason,
      },
    }, outcome, record.startedAt);
    this.auditing.push(written.catch((error: unknown) => {
      this.auditFailure ??= error;
    }));
  }

  /**
   * The run is over: a request still under way is stopped, and this resolves once every request's
   * audit line is on disk; it rejects with the audit log's error if one is not.
   */
  async close(): Promise<void> {
    this.runEnded.abort();
    await Promise.all(this.inFlight);
    await Promise.all(this.auditing);
    if (this.auditFailure !== undefined) throw this.auditFailure;
  }
}
