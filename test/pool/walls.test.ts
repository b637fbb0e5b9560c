// A warm container is as fresh and as walled as a cold one (SPEC §5): every run here is served by a
// container the pool started ahead of time (each test proves it did), under a policy that lets the
// skill try everything, so what stops it is the container. The pool starts its containers with
// 128 MB, 1 CPU and 64 pids (TEST_LIMITS); runs that ask for less get it through an update first.
// gVisor's runsc has no update: under it, such runs get a cold container of their own, and the
// tests check that one (and gVisor's own answers from inside) instead.
import assert from 'node:assert/strict';
import { assertNoContainersLeft, bombEndedUnderGvisor, FORK_BOMB, PERMISSIVE_POLICY, pidsBound, py, skillJob, testBackend, UNDER_GVISOR } from '../helpers/docker.js';
import type { RunJob, RunOutcome } from '../../server/src/engine/index.js';
import { containerExists, poolFilled } from './helpers.js';

const POOL_SIZE = 2;
const permissive = { policy: PERMISSIVE_POLICY };
const MIB = 1024 * 1024;

describe('pool: a warm container has every wall of a cold one', () => {
  const { backend, dataDir } = testBackend('pool-walls', { size: POOL_SIZE });

  before(() => backend.warmUp());

  after(async () => {
    await backend.close();
    await assertNoContainersLeft(dataDir);
  });

  /**
   * Runs `job` on a full pool and checks that one of the containers waiting before it served it (the
   * skill returns its hostname, or prints it first when it ends without a result) and is gone.
   */
  async function runWarm(job: RunJob): Promise<RunOutcome> {
    const { waiting, outcome, hostname } = await runOnFullPool(job);
    assert.ok(waiting.includes(hostname), `served by ${hostname}, not one of the warm ${waiting.join(', ')}`);
    const deadline = Date.now() + 10_000;
    let gone: string[] = [];
    while (gone.length === 0 && Date.now() < deadline) {
      gone = [];
      for (const id of waiting) if (!(await containerExists(id))) gone.push(id);
      if (gone.length === 0) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(gone.length, 1, 'exactly one warm container served the run and was removed');
    return outcome;
  }

  /** Under runsc, a run that asks for other limits than the pool's: a cold container serves it. */
  async function runCold(job: RunJob): Promise<RunOutcome> {
    const { waiting, outcome, hostname } = await runOnFullPool(job);
    assert.ok(hostname !== '' && !waiting.includes(hostname), `served by ${hostname}, one of the warm ${waiting.join(', ')}`);
    return outcome;
  }

  /** Warm under runc (updated to the run's limits), cold under runsc. */
  const runWithOtherLimits = UNDER_GVISOR ? runCold : runWarm;

  async function runOnFullPool(job: RunJob): Promise<{ waiting: string[]; outcome: RunOutcome; hostname: string }> {
    const waiting = await poolFilled(dataDir, POOL_SIZE);
    assert.equal(waiting.length, POOL_SIZE, 'the pool is full before the run');
    const outcome = await backend.run(job);
    const hostname = (outcome.result as { hostname?: string } | null)?.hostname ?? outcome.logs.split('\n')[0] ?? '';
    return { waiting, outcome, hostname };
  }

  it('has no network: no interface but loopback, no connection out', async () => {
    const outcome = await runWarm(skillJob(py`
      import os, socket
      def run(inp):
          try:
              socket.create_connection(('1.1.1.1', 53), timeout=2).close()
              connect = 'connected'
          except OSError as error:
              connect = type(error).__name__
          interfaces = [line.split(':')[0].strip() for line in open('/proc/net/dev').read().splitlines()[2:]]
          return {'hostname': os.uname().nodename, 'connect': connect, 'interfaces': interfaces}
    `, permissive));
    assert.equal(outcome.status, 'succeeded', JSON.stringify(outcome.error));
    const seen = outcome.result as { connect: string; interfaces: string[] };
    assert.notEqual(seen.connect, 'connected');
    assert.deepEqual(seen.interfaces, ['lo']);
  });

  it('has a read-only root, a noexec /tmp, a non-root user, no capabilities, no-new-privileges and seccomp', async () => {
    const outcome = await runWarm(skillJob(py`
      import os
      def run(inp):
          try:
              open('/etc/te-probe', 'w').write('x')
              root = 'written'
          except OSError as error:
              root = type(error).__name__
          status = dict(line.split(':\t', 1) for line in open('/proc/self/status').read().splitlines() if ':\t' in line)
          tmp = [line for line in open('/proc/mounts') if ' /tmp ' in line][0]
          return {'hostname': os.uname().nodename, 'root': root, 'tmp': tmp, 'uid': os.getuid(),
                  'CapEff': status['CapEff'], 'NoNewPrivs': status.get('NoNewPrivs'), 'Seccomp': status['Seccomp']}
    `, permissive));
    assert.equal(outcome.status, 'succeeded', JSON.stringify(outcome.error));
    const seen = outcome.result as Record<string, string | number>;
    assert.match(String(seen.root), /Error$/);
    assert.match(String(seen.tmp), /\bnoexec\b/);
    assert.equal(seen.uid, 65532);
    assert.equal(seen.CapEff, '0000000000000000');
    // gVisor's /proc/self/status has no NoNewPrivs line at all.
    assert.equal(seen.NoNewPrivs, UNDER_GVISOR ? null : '1');
    assert.equal(seen.Seccomp, '2');
  });

  describe('the time limit counts from the hand-over, not from the container\'s start', () => {
    const IDLE_MS = 1500;

    it('lets a skill that needs 700 ms of a 1000 ms limit finish in a container that waited 1.5 s', async () => {
      await poolFilled(dataDir, POOL_SIZE);
      await new Promise((resolve) => setTimeout(resolve, IDLE_MS));
      const outcome = await runWarm(skillJob(py`
        import os, time
        def run(inp):
            time.sleep(0.7)
            return {'hostname': os.uname().nodename}
      `, { ...permissive, limits: { timeout_ms: 1000 } }));
      assert.equal(outcome.status, 'succeeded', JSON.stringify(outcome.error));
      assert.ok(outcome.duration_ms >= 700 && outcome.duration_ms < 1000, `duration ${outcome.duration_ms} ms`);
    });

    it('kills a busy loop at its limit after the hand-over', async () => {
      await poolFilled(dataDir, POOL_SIZE);
      await new Promise((resolve) => setTimeout(resolve, IDLE_MS));
      const outcome = await runWarm(skillJob(py`
        import os
        def run(inp):
            print(os.uname().nodename)
            while True:
                pass
      `, { ...permissive, limits: { timeout_ms: 1000 } }));
      assert.equal(outcome.status, 'timeout');
      assert.equal(outcome.exit_code, 137);
      assert.ok(outcome.duration_ms >= 1000 && outcome.duration_ms < 2000, `duration ${outcome.duration_ms} ms`);
    });
  });

  // After the tests with the pool's own limits: under runsc, each of these leaves the pool refilled
  // with its limits.
  describe('runs that ask for other limits than the pool\'s', () => {
    it('runs under the run\'s own memory, swap, CPU and pids limits, not the pool\'s', async () => {
      const outcome = await runWithOtherLimits(skillJob(py`
        import os
        def cgroup(path):
            return open('/sys/fs/cgroup/' + path).read().strip()
        def run(inp):
            if not os.path.exists('/sys/fs/cgroup/memory'):
                # gVisor shows no cgroup files; its own kernel's memory is the container's limit.
                mem_total = [line for line in open('/proc/meminfo') if line.startswith('MemTotal:')][0]
                return {'hostname': os.uname().nodename, 'mem_total': mem_total.split()[1:]}
            return {'hostname': os.uname().nodename,
                    'memory': int(cgroup('memory/memory.limit_in_bytes')), 'memsw': int(cgroup('memory/memory.memsw.limit_in_bytes')),
                    'pids': cgroup('pids/pids.max'),
                    'cpu': int(cgroup('cpu/cpu.cfs_quota_us')) / int(cgroup('cpu/cpu.cfs_period_us'))}
      `, { ...permissive, limits: { memory_mb: 48, cpus: 0.25, pids: 20 } }));
      assert.equal(outcome.status, 'succeeded', JSON.stringify(outcome.error));
      const hostname = (outcome.result as { hostname: string }).hostname;
      if (UNDER_GVISOR) assert.deepEqual(outcome.result, { hostname, mem_total: [String(48 * 1024), 'kB'] });
      else assert.deepEqual(outcome.result, { hostname, memory: 48 * MIB, memsw: 48 * MIB, pids: '20', cpu: 0.25 });
    });

    it('ends a memory bomb as memory_exceeded under a memory limit below the pool\'s', async () => {
      const outcome = await runWithOtherLimits(skillJob(py`
        import os
        def run(inp):
            print(os.uname().nodename)
            hoard = []
            while True:
                hoard.append(b'x' * (1 << 20))
      `, { ...permissive, limits: { memory_mb: 48 } }));
      if (UNDER_GVISOR && outcome.status === 'failed') {
        // gVisor's answer when the cgroup's OOM killer ends the whole sandbox before the engine
        // reports an OOM: killed, no result. The run still ends, and ends as a failure.
        assert.equal(outcome.error?.type, 'NoResult', JSON.stringify(outcome.error));
        assert.equal(outcome.exit_code, 137);
      } else {
        assert.equal(outcome.status, 'memory_exceeded', JSON.stringify(outcome.error));
      }
    });

    it('stops a fork bomb at a pids limit below the pool\'s', async () => {
      // The bomb prints its hostname first: under gVisor it may end without a result.
      const printsHostname = FORK_BOMB.replace('def run(inp):\n', 'def run(inp):\n    print(os.uname().nodename, flush=True)\n');
      const outcome = await runWithOtherLimits(skillJob(printsHostname, { ...permissive, limits: { pids: 16 } }));
      if (bombEndedUnderGvisor(outcome)) return;
      assert.equal(outcome.status, 'succeeded', JSON.stringify(outcome.error));
      const { children, error } = outcome.result as { children: number; error: string };
      assert.ok(children > 0 && children < pidsBound(16), `${children} children`);
      assert.equal(error, 'BlockingIOError');
    });
  });
});
