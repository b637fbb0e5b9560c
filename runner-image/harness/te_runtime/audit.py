"""The audit hook (PEP 578): the runtime guard's backstop, installed before the skill's first line.

Restricted builtins and the import guard can be walked around through the object graph
(`str.format` field lookups, `operator.attrgetter`, ...). Whatever path the code takes, the
interpreter raises an audit event before it opens a file, a socket or a process, or hands out a
frame or a code object, and an exception from this hook stops that operation. Two kinds of rule:

* capabilities (files, network, processes, native code): refused whoever asks, even a trusted
  stdlib function the skill called, unless the policy grants them (`open` in allow_builtins,
  `socket`/`os`/`subprocess`/... in allow_imports). Reading the Python installation stays
  possible, as the import system and zoneinfo need it.
* run-time code, imports and introspection (compile/exec, `import`, sys._getframe, frame and code
  attributes, gc): refused only when the code that asks is untrusted. Trusted code is code loaded
  from the Python installation or the harness (read-only files of the image); the skill's files
  and everything compiled at run time are untrusted. So namedtuple, dataclasses, logging and lazy
  stdlib imports keep working while the skill cannot do the same things itself.

An audit hook cannot be removed, and this one keeps its state in a closure that nothing else
references.
"""
import os
import sys
import _thread

from .guard import SecurityError, allows_import

_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC | os.O_EXCL

# Event namespaces that are capabilities granted by importing the module of the same name.
_CAPABILITY_MODULES = frozenset({
    'ctypes', 'dbm', 'fcntl', 'ftplib', 'http', 'imaplib', 'mmap', 'msvcrt', 'nntplib', 'pickle',
    'poplib', 'pty', 'resource', 'shutil', 'signal', 'smtplib', 'socket', 'sqlite3', 'ssl',
    'subprocess', 'syslog', 'telnetlib', 'tempfile', 'urllib', 'webbrowser', 'winreg',
})
# os events that only look (importlib lists folders to find modules): refused to untrusted code only.
_OS_LOOKUPS = frozenset({'os.listdir', 'os.scandir', 'os.fwalk', 'os.getxattr', 'os.listxattr'})
# Starting processes is granted by os or by subprocess (which may use os.posix_spawn).
_OS_PROCESSES = frozenset({'os.exec', 'os.fork', 'os.forkpty', 'os.posix_spawn', 'os.spawn', 'os.system'})
# Ways to frames, code objects and the interpreter's internals: no policy grants them to skill code.
_INTROSPECTION = frozenset({
    'sys._getframe', 'sys._current_frames', 'sys._current_exceptions', 'sys.settrace',
    'sys.setprofile', 'sys.addaudithook', 'object.__getattr__', 'object.__setattr__',
    'object.__delattr__', 'code.__new__', 'function.__new__', 'gc.get_objects', 'gc.get_referrers',
    'gc.get_referents', 'marshal.load', 'marshal.loads', 'builtins.input', 'builtins.breakpoint',
})
_BUILTINS_FOR_EVENT = {'compile': ('compile', 'eval', 'exec'), 'exec': ('eval', 'exec')}


def install(allow_imports, allow_builtins, skill_module_names, trusted_prefixes, read_roots):
    """Installs the hook. `trusted_prefixes` start the filenames of trusted code, `read_roots` the
    folders that may be read without `open` in the policy. The hook keeps copies of the policy:
    nothing the skill can reach changes what it allows."""
    allow_imports = tuple(allow_imports)
    allow_builtins = frozenset(allow_builtins)
    skill_module_names = frozenset(skill_module_names)
    open_allowed = 'open' in allow_builtins
    getframe = sys._getframe
    get_ident = _thread.get_ident
    busy_threads = set()

    def caller_is_trusted():
        # 0 is this function, 1 refusal(), 2 hook(), 3 the code that caused the event.
        try:
            frame = getframe(3)
        except ValueError:
            return True  # no Python code on the stack asked for it
        return frame.f_code.co_filename.startswith(trusted_prefixes)

    def open_refusal(args):
        if open_allowed:
            return None
        path, mode, flags = (tuple(args) + (None, None, None))[:3]
        writing = (isinstance(mode, str) and any(c in mode for c in 'wax+')) or (
            isinstance(flags, int) and flags & _WRITE_FLAGS)
        try:
            location = os.path.abspath(os.fsdecode(path))
        except TypeError:
            location = None  # a file descriptor number
        if not writing and location is not None and location.startswith(read_roots):
            return None
        action = 'writing' if writing else 'reading'
        return f"opening {path!r} for {action} is refused: the policy does not allow the builtin open()"

    def refusal(event, args):
        namespace = event.partition('.')[0]
        if event == 'open':
            return open_refusal(args)
        if namespace in _CAPABILITY_MODULES:
            if allows_import(allow_imports, namespace):
                return None
            return f"{event} is refused: the policy does not allow the module {namespace!r}"
        if namespace == 'os' and event not in _OS_LOOKUPS:
            granted = ('os', 'subprocess') if event in _OS_PROCESSES else ('os',)
            if any(allows_import(allow_imports, name) for name in granted):
                return None
            return f"{event} is refused: the policy does not allow the module 'os'"
        if event in _BUILTINS_FOR_EVENT:
            if allow_builtins.intersection(_BUILTINS_FOR_EVENT[event]) or caller_is_trusted():
                return None
            return f"{event} of code built at run time is refused: the policy does not allow eval/exec/compile"
        if event == 'import':
            name = args[0]
            if name in skill_module_names or allows_import(allow_imports, name) or caller_is_trusted():
                return None
            return f"import of {name!r} is refused: it is not in the policy's allow_imports"
        if event in _OS_LOOKUPS:
            if allows_import(allow_imports, 'os') or caller_is_trusted():
                return None
            return f"{event} is refused: the policy does not allow the module 'os'"
        if event in _INTROSPECTION:
            if caller_is_trusted():
                return None
            detail = f' of {args[1]!r}' if event.startswith('object.') and len(args) > 1 else ''
            return (f'{event}{detail} is refused: skill code may not reach frames, code objects or '
                    'the interpreter\'s internals')
        return None

    def hook(event, args):
        if event == 'builtins.id':
            return  # the most frequent event by far (copy.deepcopy, ...), and harmless
        thread = get_ident()
        # The hook's own getframe/f_code raise events too: those are ours, let them pass.
        if thread in busy_threads:
            return
        busy_threads.add(thread)
        try:
            reason = refusal(event, args)
        finally:
            busy_threads.discard(thread)
        if reason is not None:
            raise SecurityError(reason)

    sys.addaudithook(hook)
