// A Docker engine of this test's own, for tests that stop and start the engine: the shared one
// serves everyone else's tests and is never restarted. Its own socket, data root, exec root (so its
// own containerd) and pid file; no bridge and no iptables, since sandboxes have no network anyway.
// It runs in a network namespace of its own (`unshare --net`): a dockerd started with
// `--bridge=none` deletes the `docker0` interface of the namespace it runs in, which on the host's
// would cut the shared engine's bridge network.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);
const READY_TIMEOUT_MS = 60_000;

export class PrivateDockerd {
  private process: ChildProcess | null = null;

  private constructor(readonly dir: string) {}

  /** The engine's socket path, for config `sandbox.docker_socket`. */
  get socket(): string {
    return path.join(this.dir, 'docker.sock');
  }

  /** Starts one and loads `image` from the shared engine into it; throws with dockerd's last words when it cannot start. */
  static async start(image: string): Promise<PrivateDockerd> {
    // Short: unix socket paths under it must stay below 108 bytes.
    const dockerd = new PrivateDockerd(await mkdtemp('/tmp/te-dk-'));
    await dockerd.up();
    await execFileAsync('bash', ['-o', 'pipefail', '-c', `docker save ${image} | docker -H unix://${dockerd.socket} load`], { maxBuffer: 1 << 20 });
    return dockerd;
  }

  /** `docker -H <this engine> <args>`; returns stdout. */
  async cli(...args: string[]): Promise<string> {
    const { stdout } = await execFileAsync('docker', ['-H', `unix://${this.socket}`, ...args]);
    return stdout;
  }

  /** Ids of the containers (any state) with this label. */
  async containers(label: string): Promise<string[]> {
    return (await this.cli('ps', '--all', '--quiet', '--no-trunc', '--filter', `label=${label}`)).split('\n').filter((line) => line !== '');
  }

  async up(): Promise<void> {
    let log = '';
    const child = spawn('unshare', ['--net', '--', 'dockerd',
      '--host', `unix://${this.socket}`,
      '--data-root', path.join(this.dir, 'root'),
      '--exec-root', path.join(this.dir, 'exec'),
      '--pidfile', path.join(this.dir, 'dockerd.pid'),
      '--bridge=none', '--iptables=false', '--ip6tables=false', '--ip-masq=false',
    ], { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => { log = (log + chunk).slice(-4000); });
    this.process = child;
    const started = performance.now();
    for (;;) {
      if (child.exitCode !== null) throw new Error(`a private dockerd could not start: ${log}`);
      if (await this.cli('version', '--format', '{{.Server.Version}}').then(() => true, () => false)) return;
      if (performance.now() - started > READY_TIMEOUT_MS) throw new Error(`a private dockerd did not answer: ${log}`);
      await sleep(200);
    }
  }

  /** Stops the engine as an operator would (SIGTERM) and waits until it has exited. */
  async down(): Promise<void> {
    const child = this.process;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    await exited;
    this.process = null;
  }

  async destroy(): Promise<void> {
    await this.down();
    await rm(this.dir, { recursive: true, force: true }).catch(() => undefined);
  }
}
