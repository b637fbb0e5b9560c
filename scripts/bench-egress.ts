// bench-egress: what the network broker adds to one request. A small HTTP server on 127.0.0.1 is
// asked for the same few bytes
// - directly from the host, over a kept-alive connection (the baseline);
// - through a broker session with its real audit log (one synced audit line per request);
// - through a broker session whose audit costs nothing (the broker's own share);
// - from a skill in a container, through `net` and the attach streams (timed inside the skill).
// `benchEgress()` returns the figures for an aggregating script; run directly, this prints them.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Agent, request } from 'undici';
import { Auditor, createAuditLog } from '../server/src/audit/index.js';
import { DEFAULT_ALLOW_IMPORTS, defaultConfig } from '../server/src/config/index.js';
import { EgressBroker, type EgressConfig } from '../server/src/egress/index.js';
import { createDockerBackend } from '../server/src/engine/index.js';
import { netExchange } from '../server/src/service/net-requests.js';

const REQUESTS = 400;
const SKILL_REQUESTS = 200;
const WARM_UP = 50;

export interface EgressFigures {
  p50_ms: number;
  p99_ms: number;
  requests: number;
}

export interface BenchEgressResult {
  direct: EgressFigures;
  broker: EgressFigures;
  brokerWithoutAuditSync: EgressFigures;
  /** From inside a container: net.get through the attach streams and the broker. */
  fromSkill: EgressFigures | null;
}

function figures(samplesMs: number[]): EgressFigures {
  const sorted = [...samplesMs].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
  const round = (ms: number): number => Math.round(ms * 1000) / 1000;
  return { p50_ms: round(at(0.5)), p99_ms: round(at(0.99)), requests: sorted.length };
}

async function timed(count: number, once: () => Promise<void>): Promise<EgressFigures> {
  for (let i = 0; i < WARM_UP; i++) await once();
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    const startedAt = performance.now();
    await once();
    samples.push(performance.now() - startedAt);
  }
  return figures(samples);
}

/** Loopback opened for the test server; budgets out of the way. */
const EGRESS: EgressConfig = { ...defaultConfig().egress, allow_cidrs: ['127.0.0.0/8'], max_requests: 1_000_000, max_bytes: 1 << 30 };

async function throughBroker(broker: EgressBroker, origin: string): Promise<EgressFigures> {
  const session = broker.session({ runId: 'bench', requestId: 'bench', actor: null, skill: 'bench', version: '1.0.0', origins: [origin] });
  return timed(REQUESTS, async () => {
    const reply = await session.request({ method: 'GET', url: `${origin}/item?id=1` });
    if (!reply.ok || reply.status !== 200) throw new Error(`the broker did not fetch: ${JSON.stringify(reply)}`);
  });
}

const SKILL = `
import net, time

def run(inp):
    samples = []
    for i in range(inp["warm_up"] + inp["requests"]):
        started = time.perf_counter()
        r = net.get(inp["url"])
        if r.status != 200:
            raise RuntimeError(r.status)
        samples.append((time.perf_counter() - started) * 1000)
    return samples[inp["warm_up"]:]
`;

async function fromSkill(broker: EgressBroker, origin: string, dataDir: string): Promise<EgressFigures | null> {
  const settings = defaultConfig();
  const engine = createDockerBackend({ image: settings.sandbox.image, runtime: settings.sandbox.runtime, dataDir, instanceId: randomBytes(6).toString('hex') });
  try {
    if (!(await engine.imagePresent())) return null;
    const session = broker.session({ runId: 'bench-skill', requestId: 'bench', actor: null, skill: 'bench', version: '1.0.0', origins: [origin] });
    const outcome = await engine.run(
      {
        files: { 'main.py': SKILL }, entrypoint: 'main.py', handler: 'run',
        input: { url: `${origin}/item?id=1`, requests: SKILL_REQUESTS, warm_up: WARM_UP },
        limits: { ...settings.limits.defaults, timeout_ms: 60_000 },
        policy: { allow_imports: DEFAULT_ALLOW_IMPORTS, allow_builtins: [], allow_capabilities: [] },
      },
      { onNetRequest: netExchange(session) },
    );
    if (outcome.status !== 'succeeded') throw new Error(`the bench skill ${outcome.status}: ${JSON.stringify(outcome.error)}`);
    return figures(outcome.result as number[]);
  } finally {
    await engine.close();
  }
}

export async function benchEgress(): Promise<BenchEgressResult> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'te-bench-egress-'));
  const body = JSON.stringify({ id: 1, name: 'item' });
  const server = createServer((_req, res) => res.setHeader('content-type', 'application/json').end(body));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const agent = new Agent({ keepAliveTimeout: 4000 });
  const audit = await createAuditLog({ dataDir: path.join(dir, 'data'), rotateBytes: 64 * 1024 * 1024 });
  const freeAudit = new Auditor({ record: async () => undefined, writable: async () => true, onRecovered: () => undefined });
  const broker = new EgressBroker({ config: EGRESS, auditor: new Auditor(audit) });
  const unsynced = new EgressBroker({ config: EGRESS, auditor: freeAudit });
  try {
    const direct = await timed(REQUESTS, async () => {
      const response = await request(`${origin}/item?id=1`, { dispatcher: agent });
      await response.body.arrayBuffer();
    });
    return {
      direct,
      broker: await throughBroker(broker, origin),
      brokerWithoutAuditSync: await throughBroker(unsynced, origin),
      fromSkill: await fromSkill(broker, origin, path.join(dir, 'data')),
    };
  } finally {
    await broker.close();
    await unsynced.close();
    await agent.close();
    await audit.close();
    await new Promise((resolve) => server.close(resolve));
    await rm(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(JSON.stringify(await benchEgress(), null, 2));
}
