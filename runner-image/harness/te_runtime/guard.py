"""What a skill's code sees as its builtins and its imports.

SPEC section 4: the control layer refuses dangerous builtins, imports outside the allowlist and the
dunder names that climb out of a sandbox in the source; "the same rules hold inside the container".
This module is that second line for code that slips past the parser (a computed attribute name, a
bug in the checker): refused builtins are stubs that raise SecurityError, getattr & co. refuse
private names, and `import` hands out public views of the allowed modules only.
"""
import builtins
import importlib
import importlib.util
import sys
import types


from .names import SecurityError, is_private_name
from . import facades

SAFE_BUILTIN_NAMES = (
    'Ellipsis', 'NotImplemented', '__build_class__', '__debug__',
    'abs', 'aiter', 'all', 'anext', 'any', 'ascii', 'bin', 'bool', 'bytearray', 'bytes', 'callable',
    'chr', 'classmethod', 'complex', 'dict', 'dir', 'divmod', 'enumerate', 'filter', 'float',
    'format', 'frozenset', 'hasattr', 'hash', 'hex', 'id', 'int', 'isinstance', 'issubclass', 'iter',
    'len', 'list', 'map', 'max', 'memoryview', 'min', 'next', 'object', 'oct', 'ord', 'pow', 'print',
    'property', 'range', 'repr', 'reversed', 'round', 'set', 'slice', 'sorted', 'staticmethod',
    'str', 'sum', 'super', 'tuple', 'type', 'zip',
)

# Present only as stubs that raise SecurityError (a clear refusal instead of a NameError), unless
# the policy's allow_builtins names them.
REFUSED_BUILTIN_NAMES = (
    'breakpoint', 'compile', 'copyright', 'credits', 'eval', 'exec', 'exit', 'globals', 'help',
    'input', 'license', 'locals', 'open', 'quit', 'vars',
)


def _checked_attribute(name, function):
    if not isinstance(name, str):
        return name  # the real function raises its own TypeError
    # An exact str: a subclass could answer startswith() or == as it likes.
    name = str.__str__(name)
    if is_private_name(name):
        raise SecurityError(
            f"{function}() of the attribute {name!r} is refused: names starting with '_' and "
            'frame or code attributes are private to the runtime')
    return name


def guarded_getattr(obj, name, *default):
    name = _checked_attribute(name, 'getattr')
    if not isinstance(name, str):
        return getattr(obj, name, *default)
    try:
        return facades.safe_attribute(obj, name)
    except AttributeError:
        if default:
            return default[0]
        raise


def attribute_for_rewritten_code(obj, name):
    """What `obj.format`, `obj.format_map` and `obj.obj` in a skill's source become (modules.py)."""
    return facades.safe_attribute(obj, name)


def guarded_setattr(obj, name, value):
    setattr(obj, _checked_attribute(name, 'setattr'), value)


def guarded_delattr(obj, name):
    delattr(obj, _checked_attribute(name, 'delattr'))


def _refused_builtin(name):
    def refused(*args, **kwargs):
        raise SecurityError(f"the builtin {name}() is refused: it is not in the policy's allow_builtins")
    refused.__name__ = refused.__qualname__ = name
    return refused


def make_builtins(allow_builtins, guarded_import):
    """The `__builtins__` of every skill module: safe builtins, stubs, and what the policy allows."""
    table = {name: getattr(builtins, name) for name in SAFE_BUILTIN_NAMES}
    table.update(
        (name, value) for name, value in vars(builtins).items()
        if isinstance(value, type) and issubclass(value, BaseException))
    table.update(getattr=guarded_getattr, setattr=guarded_setattr, delattr=guarded_delattr)
    table[REWRITTEN_ATTRIBUTE_FUNCTION] = attribute_for_rewritten_code
    table.update((name, _refused_builtin(name)) for name in REFUSED_BUILTIN_NAMES)
    for name in allow_builtins:
        if hasattr(builtins, name):
            table[name] = getattr(builtins, name)
    # Always the guarded importer: allowing `__import__` lets a skill call it by name, it does not
    # lift the import allowlist.
    table['__import__'] = guarded_import
    table['__name__'] = 'builtins'
    return table


# The builtin name that rewritten attribute loads call (modules.py).
REWRITTEN_ATTRIBUTE_FUNCTION = '__te_getattr__'


# Imported by the interpreter's C code while skill code is on top of the stack (time/datetime
# strptime, the warnings machinery), and `__future__`, which the compiler reads and the control
# layer allows: a `from __future__ import annotations` must run as it was approved. C's PyImport_Import goes through the current builtins'
# `__import__`, so the guard and the hook would otherwise refuse what the skill never asked for.
RUNTIME_SUPPORT_IMPORTS = ('_strptime', 'warnings', '__future__')


def allows_import(roots, name):
    """A module is allowed when it or a package above it is one of `roots` (allow_imports), unless
    it is a loader that no allowlist entry reaches (logging.config)."""
    if any(name == withheld or name.startswith(withheld + '.') for withheld in facades.WITHHELD_MODULES):
        return False
    return any(name == root or name.startswith(root + '.') for root in (*roots, *RUNTIME_SUPPORT_IMPORTS))


class ImportGuard:
    """`__import__` for skill code: the skill's own modules and the allowed ones, nothing else.

    Allowed modules are handed out as public views (a copy without `_private` names and without
    modules that are not allowed themselves), so `json.codecs.open` or `random._os` are not a way
    around the allowlist.
    """

    def __init__(self, allow_imports, skill_module_names):
        self._roots = tuple(allow_imports)
        self._skill = frozenset(skill_module_names)
        self._views = {}

    def allows(self, name):
        return allows_import(self._roots, name)

    def is_skill_module(self, name):
        return name in self._skill

    def function(self):
        """The `__import__` skill code gets: a plain function, so the guard's state is no attribute
        of anything the skill holds."""
        guarded_import = self._import

        def __import__(name, globals=None, locals=None, fromlist=(), level=0):
            return guarded_import(name, globals, fromlist, level)
        return __import__

    def _import(self, name, globals, fromlist, level):
        absolute = self._absolute(name, globals, level)
        if not (self.is_skill_module(absolute) or self.allows(absolute)):
            raise SecurityError(
                f"import of {absolute!r} is refused: it is not in the policy's allow_imports")
        module = importlib.import_module(absolute)
        if fromlist:
            self._import_submodules(module, absolute, fromlist)
            return self._view(module, refresh=True)
        # `import a.b.c` binds `a`: refresh every view on the way so the new submodule shows.
        parts = absolute.split('.')
        for depth in range(len(parts), 0, -1):
            top = self._view(sys.modules['.'.join(parts[:depth])], refresh=True)
        return top

    @staticmethod
    def _absolute(name, globals, level):
        if level == 0:
            return name
        package = (globals or {}).get('__package__')
        if not package:
            raise ImportError('attempted relative import with no known parent package')
        return importlib.util.resolve_name('.' * level + name, package)

    def _import_submodules(self, module, absolute, fromlist):
        if not hasattr(module, '__path__'):
            return
        for item in fromlist:
            submodule = f'{absolute}.{item}'
            if item == '*' or hasattr(module, item):
                continue
            if self.is_skill_module(submodule) or self.allows(submodule):
                try:
                    importlib.import_module(submodule)
                except ModuleNotFoundError as error:
                    if error.name != submodule:
                        raise

    def _view(self, module, refresh=False):
        name = module.__name__
        if self.is_skill_module(name):
            return module
        view = self._views.get(name)
        if view is None:
            view = self._views[name] = types.ModuleType(name, module.__doc__)
        elif not refresh:
            return view
        self._fill(view, module)
        return view

    def _fill(self, view, module):
        public = {}
        for key, value in list(vars(module).items()):
            if key.startswith('_'):
                continue
            value = facades.replaced(module.__name__, key, value)
            if value is facades.WITHHELD_MARK:
                continue
            if isinstance(value, types.ModuleType):
                if not self._module_attribute_allowed(module, key, value):
                    continue
                value = self._view(value)
            public[key] = value
        exported = vars(module).get('__all__')
        if exported is not None:
            public['__all__'] = [name for name in exported if name in public]
        vars(view).update(public)

    def _module_attribute_allowed(self, module, key, value):
        if self.is_skill_module(value.__name__) or self.allows(value.__name__):
            return True
        # os.path is posixpath: allowed as the attribute it is registered under.
        alias = f'{module.__name__}.{key}'
        return sys.modules.get(alias) is value and self.allows(alias)
