"""The watcher's side of the `net` module's channel (PROTOCOL.md, "net").

The skill's process never holds the run's nonce, so it cannot write a frame the service takes. It
writes each request as one JSON line to a pipe; the watcher, which holds the nonce, relays the line
to the service as a frame on its own stdout, and relays each answer line that arrives on the
container's stdin back through a second pipe. Both pipes are made before the fork.
"""
import os
import select
import sys

from . import net
from .fds import READ_CHUNK, write_all

NET_MARKER = b'\x1eTE-NET '
# A request line is at most a body of egress.max_bytes in base64 plus its headers: anything longer
# is not the net module's and is dropped, not buffered.
MAX_LINE_BYTES = 64 * 1024 * 1024
STDIN_FD = 0


class _Lines:
    """Splits what a descriptor delivers into lines, without keeping more than one line's worth."""

    def __init__(self):
        self.partial = b''

    def feed(self, chunk):
        lines = (self.partial + chunk).split(b'\n')
        self.partial = lines.pop()
        if len(self.partial) > MAX_LINE_BYTES:
            self.partial = b''
        return lines


class NetRelay:
    def __init__(self):
        self.requests_read, self.requests_write = os.pipe()
        self.answers_read, self.answers_write = os.pipe()
        self.requests = _Lines()
        self.answers = _Lines()
        self.out_fd = None
        self.nonce = None
        self.open_fds = set()

    def in_skill_process(self):
        """After the fork, in the skill's process: `import net` gets the runtime's module (the
        allowlist still decides whether the skill may import it), which talks through its ends of
        the pipes."""
        os.close(self.requests_read)
        os.close(self.answers_write)
        net._connect(self.requests_write, os.fdopen(self.answers_read, 'rb'), write_all)
        sys.modules['net'] = net

    def in_watcher(self):
        """After the fork, in the watcher: only the other ends stay."""
        os.close(self.requests_write)
        os.close(self.answers_read)

    def start(self, out_fd, nonce, waiting):
        """Once the job (and its nonce) is read: relay from now on, polled with the result pipe."""
        self.out_fd, self.nonce = out_fd, nonce.encode('ascii')
        for fd in (self.requests_read, STDIN_FD):
            waiting.register(fd, select.POLLIN)
            self.open_fds.add(fd)

    def handle(self, fd, waiting):
        """Takes a poll event of one of its descriptors; False for a descriptor that is not its own."""
        if fd not in self.open_fds:
            return False
        chunk = os.read(fd, READ_CHUNK)
        if not chunk:  # the skill's process ended, or the service closed stdin
            waiting.unregister(fd)
            self.open_fds.discard(fd)
            return True
        if fd == self.requests_read:
            for line in self.requests.feed(chunk):
                # JSON as net writes it is printable ASCII: nothing else goes out as a frame.
                if line and line.isascii() and b'\x1e' not in line:
                    write_all(self.out_fd, NET_MARKER + self.nonce + b' ' + line + b'\n')
        else:
            for line in self.answers.feed(chunk):
                try:
                    write_all(self.answers_write, line + b'\n')
                except BrokenPipeError:
                    pass  # the skill's process is gone; its exit tells why
        return True
