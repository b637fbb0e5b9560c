"""Tool Executor harness: runs ONE skill job in a fresh runner container, then exits.

Protocol (runner-image/harness/PROTOCOL.md has the full text):

  stdin   one JSON object on one line (stdin then stays open for the broker's answers to `net`):
            {"nonce": "<16-128 of [A-Za-z0-9_-]>",
             "files": {"main.py": "<source>", ...}, "entrypoint": "main.py", "handler": "run",
             "input": <any JSON>,
             "policy": {"allow_imports": ["json", ...], "allow_builtins": ["open", ...]}}
  stdout  what the skill prints (its log), then exactly one result frame, after everything the
          skill wrote and flushed:
            "\\x1eTE-RESULT <nonce> " + <JSON, ASCII only> + "\\n"
          with JSON  {"ok": true, "result": <the handler's return value>}
                 or  {"ok": false, "error": {"type": "...", "message": "...", "traceback": "..."}}
          The nonce is chosen per run by the server and not handed to the skill's code, so what
          the skill prints does not pass for the frame.
  stderr  what the skill writes there (its log), then, just before the frame, one end mark:
            "\\x1eTE-END <nonce> \\n"
          The engine copies stdout and stderr on separate pipes; the server answers once the frame
          and the end mark are both in, so no stderr line is lost. Without a readable job (no
          nonce) the harness writes its complaint there and no mark.
  exit    0 after an ok frame, 1 after an error frame, 2 for an unreadable job.

Error types the harness itself reports: ProtocolError, EntrypointNotFound, HandlerNotFound,
ResultNotJSON, SecurityError (the runtime guard refused something), MemoryError, plus the type
name of any exception the skill raised (traceback limited to the skill's own frames).

The runtime guard (te_runtime/) enforces the job's policy inside the process: restricted builtins,
an import guard handing out public views of the allowed modules, and an audit hook. The container
around this process (no network, read-only root, limits) is the boundary that holds by itself.
"""
import importlib
import json
import os
import sys

HARNESS_DIR = os.path.dirname(os.path.abspath(__file__))
# The guard's package sits beside this file; -I keeps this folder off sys.path, so add it just
# long enough to import the package.
sys.path.insert(0, HARNESS_DIR)
try:
    from te_runtime import audit, guard, modules, net
finally:
    sys.path.remove(HARNESS_DIR)

FRAME_MARKER = b'\x1eTE-RESULT '
END_MARKER = b'\x1eTE-END '
MAX_MESSAGE_CHARS = 4000
MAX_TRACEBACK_CHARS = 16000
ZONEINFO_ROOTS = ('/usr/share/zoneinfo', '/usr/lib/zoneinfo', '/usr/share/lib/zoneinfo', '/etc/zoneinfo')


class ProtocolError(Exception):
    """The job on stdin does not follow the protocol."""


class HarnessFailure(Exception):
    """A failure the harness names itself (missing handler, ...): reported without a traceback."""

    def __init__(self, kind, message):
        super().__init__(message)
        self.kind = kind


def read_job(stream):
    # One line: stdin stays open after it, for the broker's answers to the net module.
    try:
        job = json.loads(stream.readline())
    except ValueError as error:
        raise ProtocolError(f'stdin is not one JSON object: {error}') from None
    if not isinstance(job, dict):
        raise ProtocolError('the job is not a JSON object')
    nonce = job.get('nonce')
    if not (isinstance(nonce, str) and 16 <= len(nonce) <= 128 and nonce.isascii()
            and nonce.replace('-', '').replace('_', '').isalnum()):
        raise ProtocolError('the job has no valid nonce')
    return job


def check_job(job):
    """Everything but the nonce; a failure here is still answered with a frame."""
    files, policy = job.get('files'), job.get('policy')
    if not (isinstance(files, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in files.items())):
        raise HarnessFailure('ProtocolError', 'files must map paths to source text')
    for key in ('entrypoint', 'handler'):
        if not isinstance(job.get(key), str):
            raise HarnessFailure('ProtocolError', f'{key} must be a string')
    if not (isinstance(policy, dict) and all(
            isinstance(policy.get(key), list) and all(isinstance(item, str) for item in policy[key])
            for key in ('allow_imports', 'allow_builtins'))):
        raise HarnessFailure('ProtocolError', 'policy must hold the lists allow_imports and allow_builtins')
    if 'input' not in job:
        raise HarnessFailure('ProtocolError', 'the job has no input')


def configure_streams():
    # Line buffering so logs stream while the skill runs; backslashreplace so a lone surrogate in a
    # printed string cannot kill the skill with UnicodeEncodeError.
    for stream in (sys.stdout, sys.stderr):
        stream.reconfigure(encoding='utf-8', errors='backslashreplace', line_buffering=True)


def _folders(paths):
    return tuple(os.path.join(os.path.abspath(p), '') for p in paths if os.path.isabs(p))


def load_skill(job):
    """Compiles the skill, installs the guard, imports the entrypoint; returns the handler."""
    policy = job['policy']
    skill = modules.SkillModules(job['files'])
    try:
        entry_name = skill.entry_module(job['entrypoint'])
    except modules.EntrypointError as error:
        raise HarnessFailure('EntrypointNotFound', str(error)) from None
    shadowed = skill.shadowed(sys.modules)
    if shadowed:
        raise HarnessFailure('ImportError', f'the skill\'s module(s) {", ".join(shadowed)} have the name of a '
                             'module the runtime has already loaded; rename them')
    import_guard = guard.ImportGuard(policy['allow_imports'], skill.names)
    builtins_table = guard.make_builtins(policy['allow_builtins'], import_guard.function())
    sys.meta_path.insert(0, skill.finder(builtins_table))
    installation = _folders(sys.path)
    audit.install(
        policy['allow_imports'], policy['allow_builtins'], skill.names,
        trusted_prefixes=installation + _folders([HARNESS_DIR]) + ('<frozen ',),
        read_roots=installation + _folders(ZONEINFO_ROOTS))
    module = importlib.import_module(entry_name)
    handler = vars(module).get(job['handler'])
    if not callable(handler):
        raise HarnessFailure('HandlerNotFound', f'{job["entrypoint"]} defines no function {job["handler"]!r}')
    return handler


def encode_frame(frame):
    """ASCII JSON: the server can find and parse the frame whatever it decodes around it."""
    return json.dumps(frame, allow_nan=False, ensure_ascii=True, separators=(',', ':'))


def result_frame(result):
    try:
        return encode_frame({'ok': True, 'result': result})
    except MemoryError:
        raise
    except (TypeError, ValueError, RecursionError) as error:
        raise HarnessFailure('ResultNotJSON', f'the handler returned a value that is not JSON: {error}') from None


def _text(value, limit, keep_tail=False):
    try:
        text = str(value)
    except Exception:  # an exception whose __str__ fails must not lose the frame
        text = f'<unprintable {type(value).__name__}>'
    if len(text) <= limit:
        return text
    return '…' + text[-limit:] if keep_tail else text[:limit] + '…'


def skill_traceback(error, skill_filenames):
    """The traceback with the harness's and the stdlib's frames left out (chained ones too)."""
    import traceback  # only failures pay for it

    def prune(summary, seen):
        if summary is None or id(summary) in seen:
            return
        seen.add(id(summary))
        summary.stack = traceback.StackSummary.from_list(
            [frame for frame in summary.stack if frame.filename in skill_filenames])
        prune(summary.__cause__, seen)
        prune(summary.__context__, seen)

    summary = traceback.TracebackException.from_exception(error)
    prune(summary, set())
    return ''.join(summary.format())


def error_frame(error, skill_filenames):
    if isinstance(error, HarnessFailure):
        details = {'type': error.kind, 'message': _text(error, MAX_MESSAGE_CHARS)}
    else:
        details = {'type': type(error).__name__, 'message': _text(error, MAX_MESSAGE_CHARS)}
        try:
            details['traceback'] = _text(skill_traceback(error, skill_filenames), MAX_TRACEBACK_CHARS, keep_tail=True)
        except Exception:
            pass  # the frame matters more than its traceback
    return encode_frame({'ok': False, 'error': details})


def run(job):
    """Returns (ok, frame JSON). Never raises: whatever the skill does ends as a frame."""
    files = job.get('files')
    # The skill's code objects carry their file's path as filename.
    skill_filenames = frozenset(files) if isinstance(files, dict) else frozenset()
    try:
        check_job(job)
        handler = load_skill(job)
        return True, result_frame(handler(job['input']))
    except MemoryError:
        pass  # answered below, once the traceback (and the skill's frames holding the memory) is gone
    except BaseException as error:  # SystemExit and KeyboardInterrupt are the skill's failures too
        return False, error_frame(error, skill_filenames)
    return False, MEMORY_ERROR_FRAME


# Encoded ahead: answering a MemoryError should not need memory.
MEMORY_ERROR_FRAME = encode_frame({'ok': False, 'error': {'type': 'MemoryError', 'message': 'the skill ran out of memory'}})


def flush(streams):
    for stream in streams:
        try:
            stream.flush()
        except Exception:
            pass  # a closed or replaced stream: the frame goes out through our own descriptor anyway


def write_all(fd, data):
    data = memoryview(data)
    while data:
        data = data[os.write(fd, data):]


def write_frame(fds, nonce, frame, streams):
    """stderr's end mark, then the frame: the server answers once both are in, since the engine
    copies the two streams on separate pipes and either may arrive first."""
    flush(streams)
    frame_fd, end_fd = fds
    write_all(end_fd, END_MARKER + nonce.encode('ascii') + b' \n')
    write_all(frame_fd, FRAME_MARKER + nonce.encode('ascii') + b' ' + frame.encode('ascii') + b'\n')


def connect_net(out_fd, reader, nonce):
    """`import net` gets the runtime's net module, talking to the broker over our own descriptor
    and stdin (PROTOCOL.md, "net"); the allowlist still decides whether a skill may import it."""
    net._connect(out_fd, reader, nonce, write_all)
    sys.modules['net'] = net


def main():
    # Our own descriptor and stream objects, taken before any skill code runs: the skill may
    # replace or close sys.stdout, the frame still goes out.
    frame_fds = (os.dup(sys.stdout.fileno()), os.dup(sys.stderr.fileno()))
    configure_streams()
    streams = (sys.stdout, sys.stderr)
    try:
        job = read_job(sys.stdin.buffer)
    except ProtocolError as error:
        sys.stderr.write(f'tool-executor harness: {error}\n')
        sys.stderr.flush()
        os._exit(2)
    connect_net(frame_fds[0], sys.stdin.buffer, job['nonce'])
    harness_pid = os.getpid()
    ok, frame = run(job)
    if os.getpid() == harness_pid:
        write_frame(frame_fds, job['nonce'], frame, streams + (sys.stdout, sys.stderr))
    else:
        # A process the skill forked came back from the handler: only the harness answers.
        flush(streams + (sys.stdout, sys.stderr))
    # _exit: threads the skill left running and atexit handlers it registered do not get to run
    # (or print) after the frame.
    os._exit(0 if ok else 1)


if __name__ == '__main__':
    main()
