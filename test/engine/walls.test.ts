// Every wall of the sandbox (SPEC §5), tested from inside with the runtime guard out of the way:
// these skills run under a policy that allows os, socket, subprocess, open, ... as an admin could
// configure it, so what stops them is the container itself (SPEC §10: its walls hold by themselves).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import net from 'node:net';
import { networkInterfaces } from 'node:os';
import { promisify } from 'node:util';
import { SANDBOX_LABELS } from '../../server/src/engine/index.js';
import { assertNoContainersLeft, bombEndedUnderGvisor, FORK_BOMB, PERMISSIVE_POLICY, pidsBound, py, RUNNER_IMAGE, skillJob, testBackend, UNDER_GVISOR } from '../helpers/docker.js';

const execFileAsync = promisify(execFile);
const permissive = { policy: PERMISSIVE_POLICY };

/** The address of the host on Docker's default bridge, where a container with a network reaches the host. */
function bridgeGateway(): string {
  const docker0 = networkInterfaces().docker0?.find((address) => address.family === 'IPv4');
  return docker0?.address ?? '172.17.0.1';
}

const CONNECT_PROBE = py`
  import socket
  def run(inp):
      seen = {}
      for name, host, port in inp['targets']:
          try:
              socket.create_connection((host, port), timeout=2).close()
              seen[name] = 'connected'
          except OSError as error:
              seen[name] = f'{type(error).__name__}: {error}'
      try:
          socket.getaddrinfo(inp['hostname'], 80)
          seen['dns'] = 'resolved'
      except OSError as error:
          seen['dns'] = f'{type(error).__name__}: {error}'
      return seen
`;

describe('engine: the walls of the sandbox', () => {
  const { backend, dataDir } = testBackend('walls');

  after(async () => {
    await backend.close();
    await assertNoContainersLeft(dataDir);
  });

  describe('no route out', () => {
    let server: net.Server;
    let port: number;

    before(async () => {
      server = net.createServer((socket) => socket.end('hello from the host\n'));
      await new Promise<void>((resolve) => server.listen(0, '0.0.0.0', resolve));
      port = (server.address() as net.AddressInfo).port;
    });

    after(async () => {
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    });

    it('reaches neither the internet, nor the Docker bridge gateway, nor the host\'s loopback, nor DNS', async () => {
      const targets = [
        ['internet', '1.1.1.1', 53],
        ['bridge gateway', bridgeGateway(), port],
        ['host loopback', '127.0.0.1', port],
      ];
      const outcome = await backend.run(skillJob(CONNECT_PROBE, { ...permissive, input: { targets, hostname: 'example.com' } }));
      assert.equal(outcome.status, 'succeeded', JSON.stringify(outcome.error));
      const seen = outcome.result as Record<string, string>;
      for (const name of ['internet', 'bridge gateway', 'host loopback']) assert.match(seen[name]!, /Error/, `${name}: ${seen[name]}`);
      assert.notEqual(seen.dns, 'resolved');
    });

    it('(control) the same probe does connect from a container on the bridge network, so the test can see a breach', async () => {
      const { stdout } = await execFileAsync('docker', [
        'run', '--rm', '--network', 'bridge', '--label', `${SANDBOX_LABELS.dataDir}=${dataDir}`,
        '--entrypoint', '/usr/bin/python3.11', RUNNER_IMAGE, '-c',
        `import socket; print(socket.create_connection(('${bridgeGateway()}', ${port}), timeout=5).recv(100).decode())`,
      ]);
      assert.equal(stdout, 'hello from the host\n\n');
    });
  });

  it('cannot write outside /tmp; /tmp is writable but nothing in it can be executed', async () => {
    const outcome = await backend.run(
      skillJob(py`
        import os
        def attempt(action):
            try:
                action()
                return 'allowed'
            except OSError as error:
                return f'{type(error).__name__}: {error.strerror}'
        def write(path):
            with open(path, 'w') as file:
                file.write('x')
        def run(inp):
            seen = {}
            for folder in ['/', '/opt/tool-executor', '/etc', '/home', '/usr/bin', '/var', '/root', '/dev', '/dev/shm', '/dev/mqueue', '/sys/fs/cgroup']:
                seen[folder] = attempt(lambda: write(os.path.join(folder, 'te-probe')))
            seen['mkdir /home'] = attempt(lambda: os.mkdir('/home'))
            write('/tmp/note')
            seen['/tmp'] = open('/tmp/note').read()
            # The interpreter is not readable by the runner user; the dynamic loader is a program too.
            loader = [name for name in os.listdir('/lib64') if name.startswith('ld-linux')][0]
            with open('/lib64/' + loader, 'rb') as source, open('/tmp/program', 'wb') as copy:
                copy.write(source.read())
            os.chmod('/tmp/program', 0o755)
            # execv replaces this process if it works: the run would then end without a result.
            seen['exec from /tmp'] = attempt(lambda: os.execv('/tmp/program', ['/tmp/program', '--version']))
            seen['/tmp mount'] = [line for line in open('/proc/mounts') if ' /tmp ' in line][0]
            return seen
      `, permissive),
    );
    assert.equal(outcome.status, 'succeeded', JSON.stringify(outcome.error));
    const seen = outcome.result as Record<string, string>;
    for (const [place, what] of Object.entries(seen)) {
      if (place.startsWith('/tmp')) continue;
      assert.match(what, /^(OSError|PermissionError|FileNotFoundError): /, `${place}: ${what}`);
    }
    assert.equal(seen['/tmp'], 'x');
    assert.match(seen['exec from /tmp']!, /^PermissionError: Permission denied/);
    assert.match(seen['/tmp mount']!, /\bnoexec\b/);
    // gVisor's own /proc/mounts lists its tmpfs with noexec and the size only, never nosuid or nodev.
    if (UNDER_GVISOR) assert.match(seen['/tmp mount']!, /^none \/tmp tmpfs rw,noexec,size=16777216\b/);
    else assert.match(seen['/tmp mount']!, /\bnosuid\b/);
  });

  it('runs as a non-root user without capabilities, with no-new-privileges and seccomp, and no Docker socket', async () => {
    const outcome = await backend.run(
      skillJob(py`
        import os
        def run(inp):
            status = dict(line.split(':\t', 1) for line in open('/proc/self/status').read().splitlines() if ':\t' in line)
            return {
                'uid': os.getuid(), 'gid': os.getgid(),
                'CapEff': status['CapEff'], 'CapBnd': status['CapBnd'],
                'NoNewPrivs': status.get('NoNewPrivs'), 'Seccomp': status['Seccomp'],
                'docker socket': [p for p in ('/var/run/docker.sock', '/run/docker.sock') if os.path.exists(p)],
                'environment': sorted(os.environ),
            }
      `, permissive),
    );
    assert.equal(outcome.status, 'succeeded', JSON.stringify(outcome.error));
    const seen = outcome.result as Record<string, unknown>;
    assert.notEqual(seen.uid, 0);
    assert.notEqual(seen.gid, 0);
    assert.equal(seen.CapEff, '0000000000000000');
    assert.equal(seen.CapBnd, '0000000000000000');
    // gVisor's /proc/self/status has no NoNewPrivs line at all.
    assert.equal(seen.NoNewPrivs, UNDER_GVISOR ? null : '1');
    assert.equal(seen.Seccomp, '2'); // the engine's default seccomp filter (runsc loads it with --oci-seccomp)
    assert.deepEqual(seen['docker socket'], []);
    // Nothing of the service's environment: only what the image and the engine set.
    const fromImageOrEngine = new Set(['HOME', 'HOSTNAME', 'LANG', 'LC_ALL', 'PATH', 'TERM']);
    assert.deepEqual((seen.environment as string[]).filter((name) => !fromImageOrEngine.has(name)), []);
  });

  it('ends a memory bomb as memory_exceeded', async () => {
    const outcome = await backend.run(
      skillJob(py`
        def run(inp):
            hoard = []
            while True:
                hoard.append(b'x' * (1 << 20))
      `, { ...permissive, limits: { memory_mb: 64 } }),
    );
    assert.equal(outcome.status, 'memory_exceeded', JSON.stringify(outcome.error));
    assert.equal(outcome.result, null);
  });

  it('kills a busy loop at its time limit', async () => {
    const outcome = await backend.run(skillJob('def run(inp):\n    while True:\n        pass\n', { ...permissive, limits: { timeout_ms: 1500 } }));
    assert.equal(outcome.status, 'timeout');
    assert.equal(outcome.exit_code, 137);
    assert.ok(outcome.duration_ms >= 1500 && outcome.duration_ms < 2500, `duration ${outcome.duration_ms} ms`);
  });

  it('kills a sleeper that ignores SIGTERM on time', async () => {
    const outcome = await backend.run(
      skillJob(py`
        import signal, time
        def run(inp):
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            print('ignoring SIGTERM')
            time.sleep(60)
      `, { ...permissive, limits: { timeout_ms: 1500 } }),
    );
    assert.equal(outcome.status, 'timeout');
    assert.ok(outcome.duration_ms < 2500, `duration ${outcome.duration_ms} ms`);
    assert.equal(outcome.logs, 'ignoring SIGTERM\n');
  });

  it('cuts an output flood at output_bytes and ends it as output_exceeded', async () => {
    const limit = 64 * 1024;
    const outcome = await backend.run(
      skillJob("def run(inp):\n    while True:\n        print('x' * 999)\n", { ...permissive, limits: { output_bytes: limit } }),
    );
    assert.equal(outcome.status, 'output_exceeded');
    assert.equal(outcome.logs_truncated, true);
    assert.ok(outcome.logs.length > limit - 1024 && outcome.logs.length <= limit, `${outcome.logs.length} characters of log`);
    assert.ok(outcome.duration_ms < 5000, `duration ${outcome.duration_ms} ms`);
  });

  it('stops a fork bomb at the pids limit, and the next run works', async () => {
    const counted = await backend.run(
      skillJob(FORK_BOMB, { ...permissive, limits: { pids: 32 } }),
    );
    const bomb = await backend.run(skillJob('import os\ndef run(inp):\n    while True:\n        os.fork()\n', { ...permissive, limits: { pids: 32 } }));
    if (!bombEndedUnderGvisor(counted)) {
      assert.equal(counted.status, 'succeeded', JSON.stringify(counted.error));
      const { children, error } = counted.result as { children: number; error: string };
      assert.ok(children > 0 && children < pidsBound(32), `${children} children`);
      assert.equal(error, 'BlockingIOError');
    }
    if (!bombEndedUnderGvisor(bomb)) {
      assert.equal(bomb.status, 'failed');
      assert.equal(bomb.error?.type, 'BlockingIOError');
    }
    assert.ok(bomb.duration_ms < 5000, `duration ${bomb.duration_ms} ms`);

    const after = await backend.run(skillJob("def run(inp):\n    return 'still working'\n"));
    assert.equal(after.status, 'succeeded');
    assert.equal(after.result, 'still working');
  });

  it('stops a thread bomb at the pids limit', async () => {
    const outcome = await backend.run(
      skillJob(py`
        import threading, time
        def run(inp):
            threads = 0
            try:
                while True:
                    threading.Thread(target=time.sleep, args=(30,), daemon=True).start()
                    threads += 1
            except RuntimeError as error:
                return {'threads': threads, 'error': str(error)}
      `, { ...permissive, limits: { pids: 32 } }),
    );
    if (bombEndedUnderGvisor(outcome)) return;
    assert.equal(outcome.status, 'succeeded', JSON.stringify(outcome.error));
    const { threads, error } = outcome.result as { threads: number; error: string };
    assert.ok(threads < pidsBound(32), `${threads} threads`);
    assert.equal(error, "can't start new thread");
  });
});
