// The pool's refill and hand-over rules, against a stand-in engine that can be slow, refuse
// starts or refuse updates on demand: starts are bounded, an engine that refuses gets fewer and
// fewer tries (no hot loop), and a warm container that cannot take a run's limits sends the run to
// the cold path and is removed.
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';
import type { CgroupLimits } from '../../server/src/engine/docker/container-options.js';
import { WarmPool } from '../../server/src/engine/docker/pool.js';

const START_LIMITS: CgroupLimits = { memory_mb: 128, cpus: 1, pids: 64 };
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

class FakeContainer {
  readonly id = `fake-${Math.random().toString(16).slice(2)}`;
  readonly stream = new PassThrough();
  removed = false;
  constructor(private readonly engine: FakeEngine) {}
  async attach(): Promise<PassThrough> {
    return this.stream;
  }
  async start(): Promise<void> {}
  /** The exit the pool never sees here: these containers only wait. */
  wait(): Promise<{ StatusCode: number }> {
    return new Promise(() => undefined);
  }
  update(resources: object): Promise<unknown> {
    return this.engine.update(resources);
  }
  async remove(): Promise<void> {
    this.removed = true;
  }
}

class FakeEngine {
  readonly containers: FakeContainer[] = [];
  creates = 0;
  startsInFlight = 0;
  maxStartsInFlight = 0;
  createDelayMs = 20;
  refuse = false;
  update: (resources: object) => Promise<unknown> = async () => undefined;

  async createContainer(): Promise<FakeContainer> {
    this.creates += 1;
    this.startsInFlight += 1;
    this.maxStartsInFlight = Math.max(this.maxStartsInFlight, this.startsInFlight);
    try {
      await sleep(this.createDelayMs);
      if (this.refuse) throw Object.assign(new Error('connect ECONNREFUSED /var/run/docker.sock'), { code: 'ECONNREFUSED' });
      const container = new FakeContainer(this);
      this.containers.push(container);
      return container;
    } finally {
      this.startsInFlight -= 1;
    }
  }

  get live(): FakeContainer[] {
    return this.containers.filter((container) => !container.removed);
  }
}

function poolOn(engine: FakeEngine, size: number, warnings: string[] = []): WarmPool {
  return new WarmPool(
    {
      docker: engine as unknown as Docker,
      settings: { image: 'fake', runtime: 'runc', instanceId: 'test', dataDir: '/nowhere' },
      logger: { warn: (message: string) => warnings.push(message) },
    },
    { size, startLimits: () => ({ ...START_LIMITS, timeout_ms: 1000, output_bytes: 1024 }) },
  );
}

async function filled(pool: WarmPool, size: number): Promise<void> {
  while (pool.stats.ready < size) await sleep(10);
}

describe('pool: refill and hand-over rules (stand-in engine)', () => {
  it('starts at most two containers at once, whatever its size', async () => {
    const engine = new FakeEngine();
    const pool = poolOn(engine, 6);
    try {
      pool.start();
      await filled(pool, 6);
      assert.equal(engine.maxStartsInFlight, 2);
      assert.equal(engine.creates, 6);
    } finally {
      await pool.close();
    }
    assert.deepEqual(engine.live, []);
  });

  it('backs off while the engine refuses (no hot loop), and says so once', async () => {
    const engine = new FakeEngine();
    engine.refuse = true;
    const warnings: string[] = [];
    const pool = poolOn(engine, 2, warnings);
    try {
      pool.start();
      await sleep(2000);
      // Two at once at 0 s, two more after 0.5 s, then a pause of 2 s.
      assert.ok(engine.creates <= 4, `${engine.creates} starts in 2 s`);
      assert.equal(warnings.filter((w) => w.startsWith('could not start a warm container')).length, 1);
      assert.equal(await pool.take(START_LIMITS), null, 'an empty pool sends the run to the cold path');
    } finally {
      await pool.close();
    }
  });

  it('hands over without an update when the limits match, after one when they differ', async () => {
    const engine = new FakeEngine();
    const updates: object[] = [];
    engine.update = async (resources) => updates.push(resources);
    const pool = poolOn(engine, 2);
    try {
      pool.start();
      await filled(pool, 2);
      const same = await pool.take(START_LIMITS);
      assert.ok(same);
      assert.deepEqual(updates, []);
      const smaller = await pool.take({ memory_mb: 64, cpus: 0.5, pids: 32 });
      assert.ok(smaller);
      assert.deepEqual(updates, [{ Memory: 64 * 1024 * 1024, MemorySwap: 64 * 1024 * 1024, NanoCpus: 5e8, PidsLimit: 32 }]);
      assert.deepEqual(smaller.limits, { memory_mb: 64, cpus: 0.5, pids: 32 });
      await Promise.all([same.remove(), smaller.remove()]);
    } finally {
      await pool.close();
    }
  });

  it('sends the run to the cold path and removes the container when the engine refuses the update', async () => {
    const engine = new FakeEngine();
    engine.update = async () => {
      throw Object.assign(new Error('Cannot update container: minimum memory limit'), { statusCode: 400 });
    };
    const pool = poolOn(engine, 1);
    try {
      pool.start();
      await filled(pool, 1);
      const [warm] = engine.live;
      assert.equal(await pool.take({ memory_mb: 64, cpus: 1, pids: 64 }), null);
      await sleep(10);
      assert.equal(warm!.removed, true);
    } finally {
      await pool.close();
    }
  });

  it('sends the run to the cold path when the update takes longer than 2 s', async () => {
    const engine = new FakeEngine();
    engine.update = () => new Promise(() => undefined);
    const pool = poolOn(engine, 1);
    try {
      pool.start();
      await filled(pool, 1);
      const startedAt = performance.now();
      assert.equal(await pool.take({ memory_mb: 64, cpus: 1, pids: 64 }), null);
      const waitedMs = performance.now() - startedAt;
      assert.ok(waitedMs >= 1900 && waitedMs < 3000, `waited ${waitedMs} ms`);
    } finally {
      await pool.close();
    }
    assert.deepEqual(engine.live, []);
  });

  it('replaces a container whose streams end before its job, and close() removes everything', async () => {
    const engine = new FakeEngine();
    const pool = poolOn(engine, 2);
    pool.start();
    await filled(pool, 2);
    engine.containers[0]!.stream.end();
    await sleep(10);
    assert.equal(engine.containers[0]!.removed, true);
    await filled(pool, 2);
    assert.equal(engine.live.length, 2);
    await pool.close();
    assert.deepEqual(engine.live, []);
    await sleep(200);
    assert.equal(engine.creates, 3, 'nothing is started after close()');
  });
});
