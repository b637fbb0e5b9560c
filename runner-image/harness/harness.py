"""Tool Executor harness: runs ONE skill job in a fresh runner container, then exits.

Two processes (runner-image/harness/PROTOCOL.md has the full text):

* the **watcher** (this process) holds the run's nonce, the container's stdin and its own copies of
  stdout and stderr. It never runs skill code. It forks the skill's process before the job arrives,
  so the job's nonce never exists in that process's memory; the watcher marks itself not dumpable
  before the fork (prctl), so the skill cannot read it through /proc either. It hands the job over
  (without the nonce), keeps its own clock for the time limit, reads the skill process's one result
  message, ends the skill's whole process group, and only then writes the end mark (with the
  skill's run time in ms on its clock) on stderr and the result frame on stdout:
    stderr  "\\x1eTE-END <nonce> <elapsed_ms>\\n"
    stdout  "\\x1eTE-RESULT <nonce> " + <JSON, ASCII only> + "\\n"
  A skill can print what it likes but cannot write a frame the service takes: it never learns the
  nonce. It can lie only about its own result, through its handler's return value.
* the **skill process** compiles the skill's files, installs the in-process guard (restricted
  builtins, import guard with facades, audit hook), then the kernel filter (te_runtime/kernel.py),
  imports the entrypoint and calls the handler. Its stdout and stderr are the container's: logs
  stream as they are written.

stdin   one JSON line: {"nonce", "files", "entrypoint", "handler", "input", "timeout_ms",
        "policy": {"allow_imports", "allow_builtins", "allow_capabilities"}}
exit    0 after an ok frame, 1 after an error frame, 137 after a timeout frame (the skill's process
        was killed), 2 for an unreadable job, 128+N when the skill's process was killed by signal N
        (the OOM killer, typically): no frame then.
"""
import json
import os
import select
import signal
import sys
import time

import prctl

HARNESS_DIR = os.path.dirname(os.path.abspath(__file__))
# The runtime's package sits beside this file; -I keeps this folder off sys.path, so add it just
# long enough to import the package.
sys.path.insert(0, HARNESS_DIR)
try:
    from te_runtime import net_relay, skill_process
    from te_runtime.fds import READ_CHUNK, write_all
finally:
    sys.path.remove(HARNESS_DIR)

FRAME_MARKER = b'\x1eTE-RESULT '
END_MARKER = b'\x1eTE-END '
# How often the watcher looks whether the skill's process has exited while the result pipe stays
# open (only when the skill started processes of its own that hold it).
EXIT_POLL_S = 0.1


class ProtocolError(Exception):
    """The job on stdin does not follow the protocol."""


def read_job(stream):
    try:
        job = json.loads(stream.readline())
    except ValueError as error:
        raise ProtocolError(f'stdin is not one JSON object: {error}') from None
    if not isinstance(job, dict):
        raise ProtocolError('the job is not a JSON object')
    nonce = job.pop('nonce', None)
    if not (isinstance(nonce, str) and 16 <= len(nonce) <= 128 and nonce.isascii()
            and nonce.replace('-', '').replace('_', '').isalnum()):
        raise ProtocolError('the job has no valid nonce')
    timeout_ms = job.get('timeout_ms')
    if not (isinstance(timeout_ms, int) and timeout_ms > 0):
        raise ProtocolError('the job has no valid timeout_ms')
    return nonce, job


class SkillProcess:
    """The forked process that runs the skill, seen from the watcher."""

    def __init__(self):
        job_read, self.job_fd = os.pipe()
        self.result_fd, result_write = os.pipe()
        self.net = net_relay.NetRelay()
        watcher_pid = os.getpid()
        self.status = None
        self.pid = os.fork()
        if self.pid == 0:  # the skill's side: never returns
            os.close(self.job_fd)
            os.close(self.result_fd)
            self.net.in_skill_process()
            skill_process.main(job_read, result_write, watcher_pid)
        os.close(job_read)
        os.close(result_write)
        self.net.in_watcher()

    def hand_over(self, job):
        try:
            write_all(self.job_fd, json.dumps(job, ensure_ascii=True, separators=(',', ':')).encode('ascii'))
        except BrokenPipeError:
            pass  # the skill's process is gone; its exit status tells why
        finally:
            os.close(self.job_fd)

    def result(self, deadline, out_fd, nonce):
        """The message of the skill's process (all it wrote until it ended), or None when the clock
        ran out first. The message ends at EOF, or when the process has exited: a process the skill
        started may hold the pipe open after that."""
        chunks = []
        # poll, not select: gVisor with the engine's seccomp profile refuses select() itself.
        waiting = select.poll()
        waiting.register(self.result_fd, select.POLLIN)
        # The skill's net requests and their answers pass through here meanwhile.
        self.net.start(out_fd, nonce, waiting)
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            events = [fd for fd, _ in waiting.poll(min(left, EXIT_POLL_S) * 1000) if not self.net.handle(fd, waiting)]
            if events:
                chunk = os.read(self.result_fd, READ_CHUNK)
                if not chunk:
                    return b''.join(chunks)
                chunks.append(chunk)
            elif self._exited():
                os.set_blocking(self.result_fd, False)
                try:
                    while chunk := os.read(self.result_fd, READ_CHUNK):
                        chunks.append(chunk)
                except BlockingIOError:
                    pass
                return b''.join(chunks)

    def _exited(self):
        if self.status is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid != 0:
                self.status = status
        return self.status is not None

    def end_group(self):
        """Kills what is left of the skill's processes (its threads' process, anything it started)."""
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def exit_status(self):
        if self.status is None:
            _, self.status = os.waitpid(self.pid, 0)
        return self.status


def frame_for(message, status):
    """(frame JSON, ok) the watcher writes, from what the skill's process said and how it ended;
    None when a signal killed it. Only a clean exit with exactly one ok message is a result: a
    process that wrote an error, or exited non-zero, failed, whatever else it wrote."""
    if os.WIFSIGNALED(status):
        return None
    exit_code = os.WEXITSTATUS(status)
    try:
        text = message.decode('ascii')
        frame = json.loads(text)
    except ValueError:  # UnicodeDecodeError included
        frame = None
    if isinstance(frame, dict) and isinstance(frame.get('ok'), bool) and (exit_code == 0 or not frame['ok']):
        return text, frame['ok']
    return skill_process.encode_frame({'ok': False, 'error': {
        'type': 'ProtocolError',
        'message': f'the skill process ended with exit code {exit_code} without one readable result '
                   '(did the skill write to the harness\'s result channel, or exit by itself?)'}}), False


def main():
    # Not dumpable (and so neither is the skill's process, forked from it): /proc/<pid>/mem, fd/
    # and environ of either belong to root, out of the runner user's reach.
    prctl.set_dumpable(False)
    # Our own descriptors, taken before anything else: the frame goes out through them.
    out_fd, err_fd = os.dup(1), os.dup(2)
    skill_process.prepare()
    skill = SkillProcess()
    try:
        nonce, job = read_job(sys.stdin.buffer)
    except ProtocolError as error:
        skill.end_group()
        write_all(err_fd, f'tool-executor harness: {error}\n'.encode('utf-8', 'backslashreplace'))
        os._exit(2)
    # The time limit is kept here, in the container: the kill needs nothing from the service (alive,
    # its event loop free, the engine answering). The service's own kill is only a backstop.
    started = time.monotonic()
    skill.hand_over(job)
    message = skill.result(started + job['timeout_ms'] / 1000, out_fd, nonce)
    skill.end_group()
    elapsed_ms = round((time.monotonic() - started) * 1000)
    status = skill.exit_status()
    if message is None:
        answer = skill_process.encode_frame({'ok': False, 'timeout': True, 'error': {
            'type': 'Timeout', 'message': f'the skill ran longer than its limit of {job["timeout_ms"]} ms '
                                          'and was killed'}}), False
    else:
        answer = frame_for(message, status)
    if answer is None:
        # Killed by a signal (the OOM killer, as a rule): exit as it did, with no frame, so the
        # service reads the container's exit and the engine's OOM state.
        os._exit(128 + os.WTERMSIG(status))
    frame, ok = answer
    # The end mark carries the skill's run time on this clock, which a busy service cannot stretch.
    write_all(err_fd, END_MARKER + nonce.encode('ascii') + b' ' + str(elapsed_ms).encode('ascii') + b'\n')
    write_all(out_fd, FRAME_MARKER + nonce.encode('ascii') + b' ' + frame.encode('ascii') + b'\n')
    # After a Timeout frame, 137: the skill's processes ended as the SIGKILL above ended them.
    os._exit(128 + signal.SIGKILL if message is None else 0 if ok else 1)


if __name__ == '__main__':
    main()
