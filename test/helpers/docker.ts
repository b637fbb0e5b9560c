// Shared by the test files that run sandboxes on the real engine. A container a test leaves behind
// is a bug, so every such file checks in its `after` hook that none of its data_dir is left.
// The check asks the docker CLI, not the code under test.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { defaultConfig, DEFAULT_ALLOW_IMPORTS, type Limits } from '../../server/src/config/index.js';
import { createDockerBackend, GVISOR_PIDS_HEADROOM, SANDBOX_LABELS, type RunJob, type RunOutcome, type RuntimePolicy, type SandboxRuntime } from '../../server/src/engine/index.js';

const execFileAsync = promisify(execFile);

export const RUNNER_IMAGE = defaultConfig().sandbox.image;

/** Ids of every container, running or not, labelled with this data_dir. */
export async function containersOf(dataDir: string): Promise<string[]> {
  const { stdout } = await execFileAsync('docker', ['ps', '--all', '--quiet', '--filter', `label=${SANDBOX_LABELS.dataDir}=${dataDir}`]);
  return stdout.split('\n').filter((line) => line !== '');
}

/** Whether the engine lists gVisor's runtime, as `docker info` says. */
export async function engineListsRunsc(): Promise<boolean> {
  const { stdout } = await execFileAsync('docker', ['info', '--format', '{{json .Runtimes}}']);
  return Object.hasOwn(JSON.parse(stdout) as object, 'runsc');
}

export async function assertNoContainersLeft(dataDir: string): Promise<void> {
  const left = await containersOf(dataDir);
  assert.deepEqual(left, [], `containers left behind for data_dir ${dataDir}`);
}

/** A data_dir label of its own, so concurrent test processes on the same engine never see each other's containers. */
export function uniqueDataDir(name: string): string {
  return path.join(tmpdir(), `te-${name}-${randomBytes(6).toString('hex')}`);
}

/**
 * `TE_TEST_POOL_SIZE=2 npx mocha dist/test/engine/*.test.js` runs the engine's tests through warm
 * containers (the pool starts at a file's first run; later runs take a warm one while any waits);
 * `TE_TEST_RUNTIME=runsc` runs them, and the services tests start, under gVisor (registered with the
 * engine as `runsc`); `npm test` runs the wall and security tests a second time so (scripts/test.sh).
 */
const TEST_POOL_SIZE = Number(process.env.TE_TEST_POOL_SIZE ?? 0);
export const TEST_RUNTIME = testRuntime(process.env.TE_TEST_RUNTIME ?? 'runc');

/** Where gVisor's own kernel answers a probe differently, a test checks that answer under runsc. */
export const UNDER_GVISOR = TEST_RUNTIME === 'runsc';

function testRuntime(name: string): SandboxRuntime {
  if (name === 'runc' || name === 'runsc') return name;
  throw new Error(`TE_TEST_RUNTIME must be runc or runsc, not ${name}`);
}

export function testBackend(name: string, pool: { size?: number; maxIdleMs?: number } = {}): { backend: ReturnType<typeof createDockerBackend>; dataDir: string } {
  const dataDir = uniqueDataDir(name);
  const backend = createDockerBackend({
    image: RUNNER_IMAGE, runtime: TEST_RUNTIME, dataDir, instanceId: randomBytes(6).toString('hex'),
    pool: { size: pool.size ?? TEST_POOL_SIZE, startLimits: () => TEST_LIMITS, maxIdleMs: pool.maxIdleMs },
  });
  return { backend, dataDir };
}

export const TEST_LIMITS: Limits = { timeout_ms: 10000, memory_mb: 128, cpus: 1, pids: 64, output_bytes: 1048576 };

/** The default policy of the service (SPEC §10). */
export const DEFAULT_POLICY: RuntimePolicy = { allow_imports: [...DEFAULT_ALLOW_IMPORTS], allow_builtins: [], allow_capabilities: [] };

/**
 * What an admin who allows everything dangerous would configure: the runtime guard steps aside, and
 * the container's own walls are what is tested (SPEC §10: they must hold by themselves).
 */
export const PERMISSIVE_POLICY: RuntimePolicy = {
  allow_imports: [...DEFAULT_ALLOW_IMPORTS, 'os', 'sys', 'socket', 'subprocess', 'ctypes', 'signal', 'threading', 'logging', 'resource', 'shutil', 'tempfile'],
  allow_builtins: ['open', '__import__', 'eval', 'exec', 'compile', 'getattr'],
  allow_capabilities: ['processes', 'sockets'],
};

/** A one-file skill whose `run(inp)` is `source`'s. */
export function skillJob(source: string, options: { input?: unknown; limits?: Partial<Limits>; policy?: RuntimePolicy; files?: Record<string, string> } = {}): RunJob {
  return {
    files: { 'main.py': source, ...options.files },
    entrypoint: 'main.py',
    handler: 'run',
    input: options.input ?? {},
    limits: { ...TEST_LIMITS, ...options.limits },
    policy: options.policy ?? DEFAULT_POLICY,
  };
}

/** Python source written indented inside a test: the common indentation and the first newline go. */
export function py(strings: TemplateStringsArray, ...values: unknown[]): string {
  const text = String.raw({ raw: strings.raw }, ...values).replace(/^\n/, '');
  const indents = text.split('\n').filter((line) => line.trim() !== '').map((line) => /^ */.exec(line)![0].length);
  const common = Math.min(...indents);
  return text.split('\n').map((line) => line.slice(common)).join('\n');
}

/**
 * gVisor's answer to a fork or thread bomb: its own kernel's threads and host stubs share the pids
 * cgroup with the skill (and thread stacks the memory one), so the sandbox often runs out of host
 * tasks or memory before the skill is refused: it then ends without a result (checked here, and
 * true is returned). Otherwise (false) the skill caught the refusal, as under runc.
 */
export function bombEndedUnderGvisor(outcome: RunOutcome): boolean {
  if (!UNDER_GVISOR || outcome.status === 'succeeded') return false;
  assert.ok(outcome.status === 'failed' || outcome.status === 'memory_exceeded', `${outcome.status}: ${JSON.stringify(outcome.error)}`);
  assert.equal(outcome.result, null);
  return true;
}

/** The most processes or threads a skill may reach under `pids`: under gVisor its kernel's own count too. */
export function pidsBound(pids: number): number {
  return UNDER_GVISOR ? pids + GVISOR_PIDS_HEADROOM : pids;
}

/** Forks until the pids limit refuses; returns how many children it made and who served it. */
export const FORK_BOMB = py`
  import os, time
  def run(inp):
      children = 0
      try:
          while True:
              if os.fork() == 0:
                  time.sleep(30)
                  os._exit(0)
              children += 1
      except OSError as error:
          return {'hostname': os.uname().nodename, 'children': children, 'error': type(error).__name__}
`;
