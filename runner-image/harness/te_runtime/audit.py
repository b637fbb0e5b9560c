"""The audit hook (PEP 578): the runtime guard's backstop, installed before the skill's first line.

Restricted builtins and the import guard can be walked around through the object graph. Whatever
path the code takes, the interpreter raises an audit event before it opens a file, a socket or a
process, or hands out a traceback's frame or a code object, and an exception from this hook stops
that operation. It gives the clear error; the kernel filter (kernel.py) is what holds when it is
walked around too. Two kinds of rule:

* capabilities (files, network, processes, native code): refused whoever asks, even a stdlib
  function the skill called, unless the policy grants them (`open` in allow_builtins, the
  `processes`/`sockets` capabilities, the module in allow_imports). Reading the Python
  installation stays possible, as the import system and zoneinfo need it.
* run-time code, imports and introspection (compile/exec, `import`, frame and code attributes, gc):
  refused unless the code that asks is trusted. Trust is by identity, never by file name: the code
  objects of the harness and of the stdlib modules loaded before the skill (collected once, in the
  warm container), so namedtuple, dataclasses and lazy stdlib imports keep working while code the
  skill compiled, whatever file name it claims, gets nothing.

The hook keeps only immutable state (frozensets, tuples, booleans) in its closure, and has no
re-entrancy bookkeeping for a skill to tamper with: its own look at the caller's frame raises
events (`sys._getframe`, `f_code`) that it always lets pass.
"""
import os
import sys
import types

from .guard import allows_import
from .names import SecurityError

_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC | os.O_EXCL

# Event namespaces that are capabilities granted by importing the module of the same name.
_CAPABILITY_MODULES = frozenset({
    'ctypes', 'dbm', 'fcntl', 'ftplib', 'http', 'imaplib', 'mmap', 'msvcrt', 'nntplib', 'pickle',
    'poplib', 'pty', 'resource', 'shutil', 'signal', 'smtplib', 'sqlite3', 'ssl',
    'syslog', 'telnetlib', 'tempfile', 'urllib', 'webbrowser', 'winreg',
})
# os events that only look (importlib lists folders to find modules): refused to untrusted code only.
_OS_LOOKUPS = frozenset({'os.listdir', 'os.scandir', 'os.fwalk', 'os.getxattr', 'os.listxattr'})
# Starting processes: the kernel filter refuses them unless the policy grants `processes`.
_OS_PROCESSES = frozenset({'os.exec', 'os.fork', 'os.forkpty', 'os.posix_spawn', 'os.spawn', 'os.system', 'subprocess.Popen'})
# Ways to frames, code objects and the interpreter's internals: no policy grants them to skill code.
_INTROSPECTION = frozenset({
    'sys._current_frames', 'sys._current_exceptions', 'sys.settrace', 'sys.setprofile',
    'sys.addaudithook', 'object.__getattr__', 'object.__setattr__', 'object.__delattr__',
    'code.__new__', 'function.__new__', 'gc.get_objects', 'gc.get_referrers', 'gc.get_referents',
    'marshal.load', 'marshal.loads', 'builtins.input', 'builtins.breakpoint',
})
_BUILTINS_FOR_EVENT = {'compile': ('compile', 'eval', 'exec'), 'exec': ('eval', 'exec')}
# Events the hook's own look at its caller raises; harmless on their own (a frame is only reachable
# through an audited attribute or a module no policy allows).
_OWN_EVENTS = frozenset({'sys._getframe', 'builtins.id'})


def code_objects(modules):
    """Every code object of the functions and classes defined in `modules`, nested ones included."""
    found = {}

    def add_code(code):
        if id(code) in found:
            return
        found[id(code)] = code
        for const in code.co_consts:
            if isinstance(const, types.CodeType):
                add_code(const)

    def add(value, depth=0):
        if isinstance(value, (staticmethod, classmethod)):
            value = value.__func__
        if isinstance(value, property):
            for accessor in (value.fget, value.fset, value.fdel):
                add(accessor, depth)
        elif isinstance(value, types.FunctionType):
            add_code(value.__code__)
        elif isinstance(value, type) and depth < 3:
            for member in vars(value).values():
                add(member, depth + 1)

    # Everything a trusted module holds is trusted, whichever module defined it (importlib's frozen
    # modules are renamed after loading, so a __module__ test would miss them).
    seen_classes = set()
    for module in modules:
        for value in list(vars(module).values()):
            if isinstance(value, type):
                if id(value) in seen_classes:
                    continue
                seen_classes.add(id(value))
            add(value)
    return tuple(found.values())


def install(policy, skill_module_names, trusted_code, read_roots):
    """Installs the hook. `trusted_code` holds the code objects whose frames may compile, import and
    look at frames; `read_roots` the folders that may be read without `open` in the policy."""
    allow_imports = tuple(policy['allow_imports'])
    allow_builtins = frozenset(policy['allow_builtins'])
    capabilities = frozenset(policy['allow_capabilities'])
    skill_module_names = frozenset(skill_module_names)
    open_allowed = 'open' in allow_builtins
    # The tuple keeps the code objects alive, so their ids stay theirs.
    trusted_code = tuple(trusted_code)
    trusted_ids = frozenset(id(code) for code in trusted_code)
    getframe = sys._getframe

    def caller_is_trusted():
        # 0 is this function, 1 refusal(), 2 hook(), 3 the code that caused the event.
        try:
            frame = getframe(3)
        except ValueError:
            return True  # no Python code on the stack asked for it
        return id(frame.f_code) in trusted_ids

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
        if event in _OS_PROCESSES:
            if 'processes' in capabilities:
                return None
            return f"{event} is refused: the policy does not grant the capability 'processes'"
        if namespace == 'socket':
            if 'sockets' in capabilities and allows_import(allow_imports, 'socket'):
                return None
            return f"{event} is refused: the policy does not grant the capability 'sockets'"
        if namespace in _CAPABILITY_MODULES:
            if allows_import(allow_imports, namespace):
                return None
            return f"{event} is refused: the policy does not allow the module {namespace!r}"
        if namespace == 'os' and event not in _OS_LOOKUPS:
            if allows_import(allow_imports, 'os'):
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
        if event in _OWN_EVENTS or (event == 'object.__getattr__' and args[1] == 'f_code'):
            return
        reason = refusal(event, args)
        if reason is not None:
            raise SecurityError(reason)

    sys.addaudithook(hook)
