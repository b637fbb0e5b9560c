// The time limit holds on a loaded host: the harness keeps it on its own clock inside the
// container, so neither a CPU-starved machine, nor a skill that starves its own container, nor a
// service whose event loop is blocked stretches a run past it. What is asserted is what the skill
// itself saw (its last tick on its own clock) and the duration the user is told, never how fast
// the machine is.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { assertNoContainersLeft, PERMISSIVE_POLICY, py, skillJob, testBackend } from '../helpers/docker.js';

const LIMIT_MS = 1000;
// The bound: the run ends within this much of its limit.
const HOLDS_WITHIN_MS = 500;

/** Busy on the CPU, printing its own clock every 50 ms: the last tick says when it was stopped. */
const TICKER = py`
  import os, time
  def run(inp):
      for _ in range(inp.get('children', 0)):
          if os.fork() == 0:
              while True:
                  pass
      while True:
          print(f'tick {time.monotonic():.3f}', flush=True)
          until = time.monotonic() + 0.05
          while time.monotonic() < until:
              pass
`;

/** How long the skill saw itself run: its last tick minus its first, in ms. */
function tickSpanMs(logs: string): number {
  const ticks = [...logs.matchAll(/^tick (\d+\.\d+)$/gm)].map((match) => Number(match[1]));
  const [first, last] = [ticks[0], ticks.at(-1)];
  assert.ok(first !== undefined && last !== undefined && ticks.length >= 2, `the skill ticked: ${logs.slice(0, 200)}`);
  return Math.round((last - first) * 1000);
}

/** Processes that keep every core busy, as other tenants of a shared machine do. */
function startCpuHogs(): ChildProcess[] {
  return Array.from({ length: 2 * availableParallelism() }, () =>
    spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
}

function blockEventLoop(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // nothing: this process's event loop is what is being held
  }
}

describe('engine: the time limit on a loaded host', function () {
  this.timeout(120_000);
  const { backend, dataDir } = testBackend('time-limit');
  let hogs: ChildProcess[] = [];

  after(async () => {
    for (const hog of hogs) hog.kill('SIGKILL');
    await backend.close();
    await assertNoContainersLeft(dataDir);
  });

  function assertEndedAtLimit(outcome: Awaited<ReturnType<typeof backend.run>>): void {
    assert.equal(outcome.status, 'timeout', JSON.stringify(outcome.error));
    assert.equal(outcome.error?.type, 'Timeout');
    assert.equal(outcome.exit_code, 137);
    assert.ok(outcome.duration_ms >= LIMIT_MS && outcome.duration_ms <= LIMIT_MS + HOLDS_WITHIN_MS, `duration_ms ${outcome.duration_ms}`);
    const span = tickSpanMs(outcome.logs);
    assert.ok(span <= LIMIT_MS + HOLDS_WITHIN_MS, `the skill still ran ${span} ms after its first tick`);
  }

  it('ends a busy skill at its limit while the service\'s event loop is blocked past it', async () => {
    let blockedMs = 0;
    const startedAt = performance.now();
    const outcome = await backend.run(skillJob(TICKER, { policy: PERMISSIVE_POLICY, limits: { timeout_ms: LIMIT_MS } }), {
      onLog: () => {
        if (blockedMs > 0) return;
        // Held for longer than the limit, but not into the service's backstop (2 s past it).
        blockedMs = LIMIT_MS + 800;
        blockEventLoop(blockedMs);
      },
    });
    assert.ok(performance.now() - startedAt >= blockedMs, 'the event loop was held past the limit');
    assertEndedAtLimit(outcome);
  });

  it('ends a skill whose processes starve its own container of CPU at its limit', async () => {
    const outcome = await backend.run(skillJob(TICKER, { input: { children: 4 }, policy: PERMISSIVE_POLICY, limits: { timeout_ms: LIMIT_MS, cpus: 0.5 } }));
    assertEndedAtLimit(outcome);
  });

  it('ends a busy skill at its limit while every core of the host is taken', async () => {
    hogs = startCpuHogs();
    const outcome = await backend.run(skillJob(TICKER, { policy: PERMISSIVE_POLICY, limits: { timeout_ms: LIMIT_MS } }));
    assertEndedAtLimit(outcome);
  });
});
