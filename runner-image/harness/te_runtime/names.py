"""What the guard calls private, and the error it raises: shared by the guard, the facades and the
module loader."""


class SecurityError(PermissionError):
    """The runtime guard refused something the policy does not allow.

    A PermissionError, as the kernel filter's refusals are: library code that already copes with a
    refused operation (``except OSError``) degrades as it would on a locked-down host.
    """


# Tracebacks name it as they name a builtin exception: "SecurityError: ...", not our package.
SecurityError.__module__ = 'builtins'


# Attribute names that lead from an ordinary object to frames, tracebacks, globals, code objects,
# every class of the interpreter or the real builtins: the usual first step of a sandbox escape.
ESCAPE_ATTRIBUTES = frozenset({
    '__base__', '__bases__', '__builtins__', '__class__', '__closure__', '__code__',
    '__getattribute__', '__globals__', '__import__', '__loader__', '__mro__', '__self__',
    '__spec__', '__subclasses__', '__traceback__', 'mro',
    'f_back', 'f_builtins', 'f_code', 'f_globals', 'f_locals', 'f_trace', 'tb_frame', 'tb_next',
    'gi_code', 'gi_frame', 'gi_yieldfrom', 'cr_code', 'cr_frame', 'cr_await', 'ag_code', 'ag_frame',
    'ag_await', 'co_code', 'co_consts',
})


def is_private_name(name):
    """Names starting with '_' and the frame, traceback and code attributes."""
    return name.startswith('_') or name in ESCAPE_ATTRIBUTES
