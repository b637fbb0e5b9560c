"""The skill's process: reads the job from the watcher, puts up the guard and the kernel filter, runs
the handler, and sends one result message back. Everything here runs after the watcher's fork, in
the process whose memory the skill may read: it holds no nonce and nothing it could forge a frame with.
"""
import importlib
import json
import os
import sys

from . import audit, guard, kernel, modules
from .fds import read_all, write_all

MAX_MESSAGE_CHARS = 4000
MAX_TRACEBACK_CHARS = 16000
ZONEINFO_ROOTS = ('/usr/share/zoneinfo', '/usr/lib/zoneinfo', '/usr/share/lib/zoneinfo', '/etc/zoneinfo')
HARNESS_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Loaded ahead (in the warm container, before any job): the default allowlist's modules and what the
# harness itself needs later, so a run pays for none of it. test/engine/allowlist.test.ts checks it
# holds the service's DEFAULT_ALLOW_IMPORTS.
PRELOADED = (
    'json', 'math', 'cmath', 'datetime', 're', 'string', 'textwrap', 'decimal', 'fractions',
    'statistics', 'random', 'itertools', 'functools', 'operator', 'collections', 'heapq', 'bisect',
    'copy', 'enum', 'dataclasses', 'typing', 'unicodedata', 'difflib', 'base64', 'binascii',
    'hashlib', 'hmac', 'uuid', 'calendar', 'zoneinfo', 'time', 'logging', 'traceback', 'linecache',
    '_strptime', 'warnings',
)

_trusted_code = ()
_trusted_modules = set()


class HarnessFailure(Exception):
    """A failure the harness names itself (missing handler, ...): reported without a traceback."""

    def __init__(self, kind, message):
        super().__init__(message)
        self.kind = kind


def _import_quietly(names):
    for name in names:
        try:
            importlib.import_module(name)
        except ImportError:
            pass  # not in this image; a skill that asks for it gets the ImportError itself


def _trust_loaded_modules():
    """Adds the code of every module loaded so far (and not yet trusted) to the trusted code."""
    global _trusted_code
    new = [module for name, module in list(sys.modules.items())
           if name not in _trusted_modules and module is not None]
    _trusted_modules.update(module.__name__ for module in new if hasattr(module, '__name__'))
    _trusted_code = _trusted_code + audit.code_objects(new)


def prepare():
    """In the watcher, before the fork: what every run needs, loaded once."""
    _import_quietly(PRELOADED)
    _trust_loaded_modules()


def check_job(job):
    files, policy = job.get('files'), job.get('policy')
    if not (isinstance(files, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in files.items())):
        raise HarnessFailure('ProtocolError', 'files must map paths to source text')
    for key in ('entrypoint', 'handler'):
        if not isinstance(job.get(key), str):
            raise HarnessFailure('ProtocolError', f'{key} must be a string')
    if not (isinstance(policy, dict) and all(
            isinstance(policy.get(key), list) and all(isinstance(item, str) for item in policy[key])
            for key in ('allow_imports', 'allow_builtins', 'allow_capabilities'))):
        raise HarnessFailure('ProtocolError', 'policy must hold the lists allow_imports, allow_builtins and allow_capabilities')
    if 'input' not in job:
        raise HarnessFailure('ProtocolError', 'the job has no input')


def _folders(paths):
    return tuple(os.path.join(os.path.abspath(p), '') for p in paths if os.path.isabs(p))


def load_skill(job, watcher_pid):
    """Compiles the skill, puts up the guard and the kernel filter, imports the entrypoint."""
    policy = job['policy']
    # Test-only (never set by the service): runs with the kernel filter and the walls alone, to
    # prove that they hold by themselves.
    guarded = job.get('unguarded') is not True
    skill = modules.SkillModules(job['files'], guarded)
    try:
        entry_name = skill.entry_module(job['entrypoint'])
    except modules.EntrypointError as error:
        raise HarnessFailure('EntrypointNotFound', str(error)) from None
    shadowed = skill.shadowed(sys.modules)
    if shadowed:
        raise HarnessFailure('ImportError', f'the skill\'s module(s) {", ".join(shadowed)} have the name of a '
                             'module the runtime has already loaded; rename them')
    if guarded:
        # The policy's own modules load before the guard, so their lazy imports are trusted code too.
        _import_quietly(name for name in policy['allow_imports'] if guard.allows_import(policy['allow_imports'], name))
        _trust_loaded_modules()
        import_guard = guard.ImportGuard(policy['allow_imports'], skill.names)
        sys.meta_path.insert(0, skill.finder(guard.make_builtins(policy['allow_builtins'], import_guard.function())))
        audit.install(policy, skill.names, _trusted_code,
                      read_roots=_folders(sys.path) + _folders(ZONEINFO_ROOTS))
    else:
        sys.meta_path.insert(0, skill.finder(None))
    try:
        kernel.install(policy['allow_capabilities'], watcher_pid)
    except kernel.PolicyError as error:
        raise HarnessFailure('ProtocolError', str(error)) from None
    module = importlib.import_module(entry_name)
    handler = vars(module).get(job['handler'])
    if not callable(handler):
        raise HarnessFailure('HandlerNotFound', f'{job["entrypoint"]} defines no function {job["handler"]!r}')
    return handler


def encode_frame(frame):
    """ASCII JSON: the service can find and parse the frame whatever it decodes around it."""
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
    import traceback

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


# Encoded ahead: answering a MemoryError should not need memory.
MEMORY_ERROR_FRAME = encode_frame({'ok': False, 'error': {'type': 'MemoryError', 'message': 'the skill ran out of memory'}})


def run(job, watcher_pid):
    """Returns (ok, frame JSON). Never raises: whatever the skill does ends as a frame."""
    files = job.get('files')
    # The skill's code objects carry their file's path as filename.
    skill_filenames = frozenset(files) if isinstance(files, dict) else frozenset()
    try:
        check_job(job)
        handler = load_skill(job, watcher_pid)
        return True, result_frame(handler(job['input']))
    except MemoryError:
        pass  # answered below, once the traceback (and the skill's frames holding the memory) is gone
    except BaseException as error:  # SystemExit and KeyboardInterrupt are the skill's failures too
        return False, error_frame(error, skill_filenames)
    return False, MEMORY_ERROR_FRAME


def configure_streams():
    # Line buffering so logs stream while the skill runs; backslashreplace so a lone surrogate in a
    # printed string cannot kill the skill with UnicodeEncodeError.
    for stream in (sys.stdout, sys.stderr):
        stream.reconfigure(encoding='utf-8', errors='backslashreplace', line_buffering=True)


def flush(streams):
    for stream in streams:
        try:
            stream.flush()
        except Exception:
            pass  # a closed or replaced stream: the result goes out through our own descriptor anyway


def main(job_fd, result_fd, watcher_pid):
    """The skill process's life; ends with os._exit, never returns."""
    # Its own process group: the watcher ends the whole group when the run is over.
    os.setpgid(0, 0)
    # The container's stdin is the watcher's alone.
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    configure_streams()
    streams = (sys.stdout, sys.stderr)
    try:
        job = json.loads(read_all(job_fd))
    except ValueError:
        job = None
    os.close(job_fd)
    my_pid = os.getpid()
    if isinstance(job, dict):
        ok, frame = run(job, watcher_pid)
    else:
        ok, frame = False, encode_frame({'ok': False, 'error': {'type': 'ProtocolError', 'message': 'the job did not reach the skill process'}})
    if os.getpid() == my_pid:
        flush(streams + (sys.stdout, sys.stderr))
        try:
            write_all(result_fd, frame.encode('ascii'))
        except OSError:
            pass
    else:
        # A process the skill forked came back from the handler: only the skill process answers.
        flush(streams + (sys.stdout, sys.stderr))
    # _exit: threads the skill left running and atexit handlers it registered do not get to run
    # (or print) after the result.
    os._exit(0 if ok else 1)
