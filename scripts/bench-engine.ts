// The two baselines of the speed benchmark, measured on the same engine as the service:
// - `docker run --rm -i` of the runner image with the service's walls, the job piped on stdin (the
//   way one would run an untrusted snippet without this service);
// - raw engine churn: create, start, wait, remove of the runner image through the Engine API, as
//   fast as the engine goes, with no job and no service in the way (the harness reads an empty
//   stdin and exits at once): the ceiling any one-container-per-run service can reach.
import { spawn } from 'node:child_process';
import http from 'node:http';
import Docker from 'dockerode';
import type { Limits } from '../server/src/config/index.js';
import { runContainerOptions, type SandboxSettings } from '../server/src/engine/docker/container-options.js';

/** The same container the service creates, as `docker run` flags. */
export function dockerRunArgs(settings: SandboxSettings, limits: Limits): string[] {
  const options = runContainerOptions(settings, limits);
  const host = options.HostConfig!;
  const args = ['run', '--rm', '-i', '--network', String(host.NetworkMode), '--user', String(options.User), '--workdir', String(options.WorkingDir)];
  if (host.ReadonlyRootfs) args.push('--read-only');
  for (const cap of host.CapDrop ?? []) args.push('--cap-drop', cap);
  for (const opt of host.SecurityOpt ?? []) args.push('--security-opt', opt);
  args.push('--memory', `${host.Memory}b`, '--memory-swap', `${host.MemorySwap}b`, '--cpus', String((host.NanoCpus ?? 0) / 1e9), '--pids-limit', String(host.PidsLimit));
  for (const [mount, opts] of Object.entries(host.Tmpfs ?? {})) args.push('--tmpfs', `${mount}:${opts}`);
  for (const ulimit of host.Ulimits ?? []) args.push('--ulimit', `${ulimit.Name}=${ulimit.Soft}:${ulimit.Hard}`);
  if (host.Init) args.push('--init');
  args.push('--ipc', String(host.IpcMode), '--cgroupns', 'private', '--log-driver', String(host.LogConfig?.Type), '--runtime', String(host.Runtime));
  for (const [name, value] of Object.entries(options.Labels ?? {})) args.push('--label', `${name}=${value}`);
  args.push(String(options.Image));
  return args;
}

/** One `docker run`: resolves with its wall time once the CLI exited, after checking the result frame. */
export function timeDockerRun(args: string[], job: string, expect: RegExp): Promise<number> {
  const startedAt = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn('docker', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => { stdout += text; });
    child.stderr.setEncoding('utf8').on('data', (text: string) => { stderr += text; });
    child.once('error', reject);
    child.once('close', (code) => {
      const elapsedMs = performance.now() - startedAt;
      if (code === 0 && expect.test(stdout)) resolve(elapsedMs);
      else reject(new Error(`docker run exited ${code}: ${stdout.slice(-300)} ${stderr.slice(-300)}`));
    });
    child.stdin.end(job);
  });
}

export interface ChurnResult {
  containers: number;
  elapsedMs: number;
  perSecond: number;
}

/** `clients` loops of create/start/wait/remove until `durationMs` has passed. */
export async function rawChurn(settings: SandboxSettings, limits: Limits, clients: number, durationMs: number): Promise<ChurnResult> {
  const agent = new http.Agent({ keepAlive: true });
  const docker = new Docker({ socketPath: '/var/run/docker.sock', agent } as Docker.DockerOptions);
  // No stdin: the harness reads EOF and exits at once, so the figure is the engine's alone.
  const options = { ...runContainerOptions(settings, limits), AttachStdin: false, AttachStdout: false, AttachStderr: false, OpenStdin: false, StdinOnce: false };
  let containers = 0;
  const startedAt = performance.now();
  const deadline = startedAt + durationMs;
  let lastDoneAt = startedAt;
  const client = async (): Promise<void> => {
    while (performance.now() < deadline) {
      const container = await docker.createContainer(options);
      try {
        await container.start();
        await container.wait();
      } finally {
        await container.remove({ force: true, v: true });
      }
      containers += 1;
      lastDoneAt = performance.now();
    }
  };
  try {
    await Promise.all(Array.from({ length: clients }, client));
  } finally {
    agent.destroy();
  }
  const elapsedMs = lastDoneAt - startedAt;
  return { containers, elapsedMs, perSecond: containers / (elapsedMs / 1000) };
}
