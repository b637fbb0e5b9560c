// The walls of one run's container (SPEC §5), in one place: what the engine is asked to create.
import type Docker from 'dockerode';
import type { Limits, SandboxRuntime } from '../types.js';

/** Labels that mark a container as ours, so a restart can remove what a crash left (SPEC §5). */
export const LABEL = {
  instance: 'tool-executor.instance',
  dataDir: 'tool-executor.data-dir',
  role: 'tool-executor.role',
} as const;

export const RUN_ROLE = 'run';
/** Started ahead of time by the warm pool, waiting for its one job; it serves one run and is removed. */
export const POOL_ROLE = 'pool';
export type SandboxRole = typeof RUN_ROLE | typeof POOL_ROLE;

/** The runner image's unprivileged user (scripts/build-runner-image.sh creates it). */
export const RUNNER_USER = '65532:65532';

const MIB = 1024 * 1024;
const TMP_SIZE_BYTES = 16 * MIB;
const OPEN_FILES = 256;
/**
 * Under gVisor the container's pids cgroup also holds gVisor's own kernel: the Sentry's and the
 * Gofer's threads and, on the ptrace platform, a host stub per address space. Measured here, a
 * one-line skill needs 48 of them, and no sandbox starts under 32. The skill's `pids` come on top.
 */
export const GVISOR_PIDS_HEADROOM = 64;

export interface SandboxSettings {
  image: string;
  runtime: SandboxRuntime;
  instanceId: string;
  dataDir: string;
}

export function runLabels(settings: SandboxSettings, role: SandboxRole = RUN_ROLE): Record<string, string> {
  return { [LABEL.instance]: settings.instanceId, [LABEL.dataDir]: settings.dataDir, [LABEL.role]: role };
}

/** The limits the kernel enforces through cgroups: the only ones a started container can still be given. */
export type CgroupLimits = Pick<Limits, 'memory_mb' | 'cpus' | 'pids'>;

export function sameCgroupLimits(a: CgroupLimits, b: CgroupLimits): boolean {
  return a.memory_mb === b.memory_mb && a.cpus === b.cpus && a.pids === b.pids;
}

/** runc gives a started container other cgroup limits (`docker update`); runsc of Debian 12 has no `update`. */
export function limitsUpdatable(runtime: SandboxRuntime): boolean {
  return runtime === 'runc';
}

/** The HostConfig fields of the cgroup limits, the same at create and at `container.update`. */
export function cgroupResources(limits: CgroupLimits, runtime: SandboxRuntime): { Memory: number; MemorySwap: number; NanoCpus: number; PidsLimit: number } {
  const memoryBytes = limits.memory_mb * MIB;
  return {
    Memory: memoryBytes,
    // Equal to Memory means no swap at all: left unset, Docker grants as much swap again, and a
    // memory bomb would thrash on swap until the timeout instead of ending as memory_exceeded.
    MemorySwap: memoryBytes,
    NanoCpus: Math.round(limits.cpus * 1e9),
    PidsLimit: limits.pids + (runtime === 'runsc' ? GVISOR_PIDS_HEADROOM : 0),
  };
}

// CgroupnsMode is in the Engine API since 1.41 but not in @types/dockerode.
type HostConfig = NonNullable<Docker.ContainerCreateOptions['HostConfig']> & { CgroupnsMode?: 'private' | 'host' };

function hostConfig(settings: SandboxSettings, limits: CgroupLimits): HostConfig {
  return {
    NetworkMode: 'none',
    ReadonlyRootfs: true,
    CapDrop: ['ALL'],
    // The engine's default seccomp profile stays on: only no-new-privileges is added.
    SecurityOpt: ['no-new-privileges:true'],
    Privileged: false,
    ...cgroupResources(limits, settings.runtime),
    // The only writable place. noexec: nothing the skill writes there can be run as a program.
    Tmpfs: { '/tmp': `rw,noexec,nosuid,nodev,size=${TMP_SIZE_BYTES},mode=1777` },
    Ulimits: [
      { Name: 'nofile', Soft: OPEN_FILES, Hard: OPEN_FILES },
      // No file can outgrow /tmp, and no core dump is written.
      { Name: 'fsize', Soft: TMP_SIZE_BYTES, Hard: TMP_SIZE_BYTES },
      { Name: 'core', Soft: 0, Hard: 0 },
      // POSIX message queues would be writable memory outside /tmp.
      { Name: 'msgqueue', Soft: 0, Hard: 0 },
    ],
    // docker-init (tini) as PID 1 reaps the skill's zombies, and the container ends with the harness.
    Init: true,
    // No /dev/shm: a second writable tmpfs the skill has no use for.
    IpcMode: 'none',
    CgroupnsMode: 'private',
    // The output comes back over the attach stream; a log driver would also write it to the host's disk.
    LogConfig: { Type: 'none', Config: {} },
    Runtime: settings.runtime,
    // Removed explicitly (force) by the run that created it, after its exit code and OOM state are read.
    AutoRemove: false,
  };
}

/**
 * A fresh container for one run: the job comes in on stdin, nothing else is given to it. The warm
 * pool creates the very same container, only labelled with its role, and started before the job is known.
 */
export function runContainerOptions(settings: SandboxSettings, limits: CgroupLimits, role: SandboxRole = RUN_ROLE): Docker.ContainerCreateOptions {
  return {
    Image: settings.image,
    User: RUNNER_USER,
    WorkingDir: '/tmp',
    // Nothing of the service's environment: no variable is inherited or passed.
    Env: [],
    Labels: runLabels(settings, role),
    AttachStdin: true,
    AttachStdout: true,
    AttachStderr: true,
    OpenStdin: true,
    // Stdin closes when we end our side: the harness reads the job until EOF.
    StdinOnce: true,
    Tty: false,
    NetworkDisabled: true,
    HostConfig: hostConfig(settings, limits),
  };
}
