"""Whole writes and reads on raw descriptors: the pipes between the watcher and the skill's process,
and the watcher's own copies of stdout and stderr (which no Python stream object may buffer)."""
import os

READ_CHUNK = 65536


def write_all(fd, data):
    data = memoryview(data)
    while data:
        data = data[os.write(fd, data):]


def read_all(fd):
    """Everything until EOF."""
    chunks = []
    while chunk := os.read(fd, READ_CHUNK):
        chunks.append(chunk)
    return b''.join(chunks)
