// The kernel layer on its own (SPEC §4, layer 2): with the in-process guard switched off (the
// harness's test-only mode, which no configuration reaches), a skill holds the real builtins and
// imports whatever it likes. What the policy does not grant must still fail, refused by the seccomp
// filter with EPERM, and the container's walls must still hold. Under `TE_TEST_RUNTIME=runsc` the
// same file runs under gVisor.
import assert from 'node:assert/strict';
import type { RunJob } from '../../server/src/engine/index.js';
import { assertNoContainersLeft, DEFAULT_POLICY, py, skillJob, testBackend, TEST_RUNTIME } from '../helpers/docker.js';

/** "allowed", or the refusal's type and errno. */
const ATTEMPT = py`
  def attempt(action):
      try:
          action()
          return 'allowed'
      except OSError as error:
          return f'{type(error).__name__} errno {error.errno}'
`;

/** Each probe is tried in turn; the result maps its name to what attempt() saw. */
const PROBES = ATTEMPT + py`
  import os, socket, threading

  def fork_and_reap():
      pid = os.fork()
      if pid == 0:
          os._exit(0)
      os.waitpid(pid, 0)

  PROBES = {
      'fork': fork_and_reap,
      'exec': lambda: os.execv('/usr/bin/python3.11', ['python3', '-c', 'pass']),
      'posix_spawn': lambda: os.waitpid(os.posix_spawn('/usr/bin/python3.11', ['python3', '-c', 'pass'], {}), 0),
      'memfd_create': lambda: os.close(os.memfd_create('payload')),
      'socket': lambda: socket.socket().close(),
      'socketpair': lambda: [end.close() for end in socket.socketpair()],
      # fexecve: glibc runs execveat(fd, "", AT_EMPTY_PATH)
      'execveat': lambda: os.execve(os.open('/usr/bin/python3.11', os.O_PATH), ['python3', '-c', 'pass'], {}),
  }

  def run(inp):
      seen = {name: attempt(PROBES[name]) for name in inp['probes']}
      results = []
      worker = threading.Thread(target=lambda: results.append('thread ran'))
      worker.start()
      worker.join()
      seen['thread'] = results[0] if results else 'no thread'
      return seen
`;

const ALL_PROBES = ['fork', 'exec', 'posix_spawn', 'memfd_create', 'socket', 'socketpair', 'execveat'];
const EPERM = 'PermissionError errno 1';

function unguarded(job: RunJob): RunJob {
  return { ...job, testOnlyUnguarded: true };
}

describe('security: the kernel filter holds with the in-process guard switched off', () => {
  const { backend, dataDir } = testBackend('kernel');

  after(async () => {
    await backend.close();
    await assertNoContainersLeft(dataDir);
  });

  it('refuses fork, exec, posix_spawn, memfd_create, socket, socketpair and execveat with EPERM; threads still run', async () => {
    const outcome = await backend.run(unguarded(skillJob(PROBES, { input: { probes: ALL_PROBES } })));
    assert.equal(outcome.status, 'succeeded', JSON.stringify(outcome.error));
    const seen = outcome.result as Record<string, string>;
    for (const probe of ALL_PROBES) assert.equal(seen[probe], EPERM, `${probe}: ${seen[probe]}`);
    assert.equal(seen.thread, 'thread ran');
  });

  it('really has the guard off in that mode: the real builtins are there (open, eval, import os)', async () => {
    const outcome = await backend.run(unguarded(skillJob(py`
      import os
      def run(inp):
          return {'eval': eval('6 * 7'), 'hostname file': open('/etc/hostname').read() != '', 'pid': os.getpid() > 0}
    `)));
    assert.equal(outcome.status, 'succeeded', JSON.stringify(outcome.error));
    assert.deepEqual(outcome.result, { eval: 42, 'hostname file': true, pid: true });
  });

  it('grants processes only when the policy names the capability, and still refuses the memfd exec of a native binary', async () => {
    const policy = { ...DEFAULT_POLICY, allow_capabilities: ['processes' as const] };
    const outcome = await backend.run(unguarded(skillJob(py`
      import os
      def run(inp):
          seen = {}
          pid = os.fork()
          if pid == 0:
              os._exit(7)
          seen['fork'] = os.WEXITSTATUS(os.waitpid(pid, 0)[1])
          try:
              fd = os.memfd_create('elf')
              seen['memfd'] = 'allowed'
          except OSError as error:
              seen['memfd'] = f'{type(error).__name__} errno {error.errno}'
          # The other way to run bytes that are not in the image: a copy in the noexec /tmp.
          loader = '/lib64/' + [n for n in os.listdir('/lib64') if n.startswith('ld-linux')][0]
          with open(loader, 'rb') as source, open('/tmp/copy', 'wb') as copy:
              copy.write(source.read())
          os.chmod('/tmp/copy', 0o755)
          pid = os.fork()
          if pid == 0:
              try:
                  os.execv('/tmp/copy', ['/tmp/copy', '--version'])
              except OSError as error:
                  os._exit(error.errno)
          seen['exec from /tmp'] = os.WEXITSTATUS(os.waitpid(pid, 0)[1])
          return seen
    `, { policy })));
    assert.equal(outcome.status, 'succeeded', JSON.stringify(outcome.error));
    assert.deepEqual(outcome.result, { fork: 7, memfd: EPERM, 'exec from /tmp': 13 });
  });

  it('grants sockets only when the policy names the capability; the network is still not there', async () => {
    const policy = { ...DEFAULT_POLICY, allow_capabilities: ['sockets' as const] };
    const outcome = await backend.run(unguarded(skillJob(py`
      import socket
      def run(inp):
          probe = socket.socket()
          try:
              probe.settimeout(3)
              probe.connect(('1.1.1.1', 53))
              return 'connected'
          except OSError as error:
              return type(error).__name__
          finally:
              probe.close()
    `, { policy })));
    assert.equal(outcome.status, 'succeeded', JSON.stringify(outcome.error));
    assert.match(String(outcome.result), /^(OSError|TimeoutError|ConnectionRefusedError)$/);
  });

  it('keeps the watcher out of reach: no signal to it, no /proc look at its memory, descriptors or environment', async () => {
    const outcome = await backend.run(unguarded(skillJob(ATTEMPT + py`
      import os
      def environment_of(pid):
          try:
              return sorted(entry.decode() for entry in open(f'/proc/{pid}/environ', 'rb').read().split(b'\0') if entry)
          except OSError:
              return None
      def run(inp):
          watcher = os.getppid()
          return {
              'watcher environment, where readable': environment_of(watcher),
              'own environment': sorted(f'{name}={value}' for name, value in os.environ.items()),
              'kill watcher': attempt(lambda: os.kill(watcher, 9)),
              'kill everyone': attempt(lambda: os.kill(-1, 9)),
              'watcher memory': attempt(lambda: open(f'/proc/{watcher}/mem', 'rb').read(1)),
              'watcher stdout': attempt(lambda: os.open(f'/proc/{watcher}/fd/1', os.O_WRONLY)),
              'watcher environment': attempt(lambda: open(f'/proc/{watcher}/environ', 'rb').read()),
          }
    `)));
    assert.equal(outcome.status, 'succeeded', JSON.stringify(outcome.error));
    const seen = outcome.result as Record<string, string>;
    assert.equal(seen['kill watcher'], EPERM);
    assert.equal(seen['kill everyone'], EPERM);
    assert.match(seen['watcher memory']!, /^PermissionError errno (1|13)$/, `watcher memory: ${seen['watcher memory']}`);
    // gVisor's /proc lets a process read a non-dumpable parent's environment. It holds nothing the
    // skill's own does not (the job, and its nonce, come over stdin). Linux refuses it.
    if (TEST_RUNTIME === 'runsc') {
      assert.equal(seen['watcher environment'], 'allowed');
      assert.deepEqual(seen['watcher environment, where readable'], seen['own environment']);
    } else {
      assert.match(seen['watcher environment']!, /^PermissionError errno (1|13)$/, `watcher environment: ${seen['watcher environment']}`);
    }
    // gVisor's /proc lets a process reopen a non-dumpable parent's descriptors; the watcher's stdout
    // is the container's stdout, which the skill holds already. Linux refuses it.
    assert.match(seen['watcher stdout']!, TEST_RUNTIME === 'runsc' ? /^allowed$/ : /^PermissionError errno 13$/);
  });
});
