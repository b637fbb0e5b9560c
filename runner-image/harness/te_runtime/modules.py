"""The skill's files as importable modules, from memory.

Nothing is written to disk (the root is read-only and /tmp belongs to the skill): every `.py` file
is parsed, checked and compiled here, before the audit hook is installed, and a meta-path finder
serves the code objects so the skill's files can import each other (`import helpers`,
`from .util import x`). Files that are not importable Python modules (data files, names that are
not identifiers) are kept out of the import system.
"""
import ast
import linecache
from importlib.machinery import ModuleSpec

from .guard import REWRITTEN_ATTRIBUTE_FUNCTION
from .names import ESCAPE_ATTRIBUTES, SecurityError

# Public attribute names that the guard answers itself (facades.safe_attribute): `format` and
# `format_map` of a str look attributes up on the skill's behalf, `obj` of an AttributeError hands
# back the object a failed lookup was made on.
REWRITTEN_ATTRIBUTES = frozenset({'format', 'format_map', 'obj'})


class EntrypointError(Exception):
    """The entrypoint is not one of the skill's importable Python files."""


class _Compiled:
    __slots__ = ('code', 'filename', 'is_package')

    def __init__(self, code, filename, is_package):
        self.code = code
        self.filename = filename
        self.is_package = is_package


def module_name(path):
    """`pkg/util.py` -> ('pkg.util', False), `pkg/__init__.py` -> ('pkg', True), else None."""
    if not path.endswith('.py'):
        return None
    parts = path[:-3].split('/')
    is_package = parts[-1] == '__init__'
    if is_package:
        parts.pop()
    if not parts or not all(part.isascii() and part.isidentifier() for part in parts):
        return None
    return '.'.join(parts), is_package


def _refuse_escapes(tree, path):
    """The runtime side of the control layer's dunder rule: the attribute syntax the hook cannot see."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in ESCAPE_ATTRIBUTES:
            raise SecurityError(
                f'the attribute {node.attr!r} at {path}:{node.lineno} is refused: '
                'it reaches frames, globals, code objects or the interpreter\'s classes')


class _AttributeRewriter(ast.NodeTransformer):
    """`x.format` (read, not assigned) becomes `__te_getattr__(x, 'format')`, for the names above."""

    def visit_Attribute(self, node):
        self.generic_visit(node)
        if node.attr not in REWRITTEN_ATTRIBUTES or not isinstance(node.ctx, ast.Load):
            return node
        call = ast.Call(
            func=ast.Name(id=REWRITTEN_ATTRIBUTE_FUNCTION, ctx=ast.Load()),
            args=[node.value, ast.Constant(value=node.attr)], keywords=[])
        return ast.copy_location(call, node)


def compile_skill_file(source, path, guarded=True):
    """Parses, checks and compiles one of the skill's files; guarded, with the attribute rewrite."""
    tree = ast.parse(source, filename=path)
    if guarded:
        _refuse_escapes(tree, path)
        tree = ast.fix_missing_locations(_AttributeRewriter().visit(tree))
    return compile(tree, path, 'exec', dont_inherit=True)


class SkillModules:
    """Every importable file of the skill, compiled and checked, and the finder that serves them."""

    def __init__(self, files, guarded=True):
        self._compiled = {}
        for path, source in files.items():
            named = module_name(path)
            if named is None:
                continue
            name, is_package = named
            code = compile_skill_file(source, path, guarded)
            self._compiled[name] = _Compiled(code, path, is_package)
            # Tracebacks show the skill's lines without a file on disk to read them from.
            linecache.cache[path] = (len(source), None, source.splitlines(True), path)
        self._add_implicit_packages()

    def _add_implicit_packages(self):
        """A folder without `__init__.py` still is a package, as a namespace package would be."""
        for name in list(self._compiled):
            parts = name.split('.')
            for depth in range(1, len(parts)):
                package = '.'.join(parts[:depth])
                if package not in self._compiled:
                    filename = package.replace('.', '/') + '/__init__.py'
                    self._compiled[package] = _Compiled(compile('', filename, 'exec'), filename, True)

    @property
    def names(self):
        return frozenset(self._compiled)

    def entry_module(self, entrypoint):
        named = module_name(entrypoint)
        if named is None or named[0] not in self._compiled:
            raise EntrypointError(
                f'the entrypoint {entrypoint!r} is not an importable Python file of the skill')
        return named[0]

    def shadowed(self, loaded_module_names):
        """Skill modules whose top-level name the runtime has already loaded (they could not win)."""
        return sorted({name.split('.')[0] for name in self._compiled} & set(loaded_module_names))

    def finder(self, builtins_table):
        return _SkillFinder(self._compiled, builtins_table)


class _SkillFinder:
    """The sys.meta_path entry (first, as a script's folder is first on sys.path) for the skill's modules."""

    def __init__(self, compiled, builtins_table):
        self._compiled = compiled
        self._builtins = builtins_table

    def find_spec(self, fullname, path=None, target=None):
        entry = self._compiled.get(fullname)
        if entry is None:
            return None
        return ModuleSpec(fullname, self, origin=entry.filename, is_package=entry.is_package)

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        entry = self._compiled[module.__name__]
        # Set before the first line runs: the module's functions look builtins up here, not in
        # the real builtins module.
        if self._builtins is not None:
            module.__dict__['__builtins__'] = self._builtins
        exec(entry.code, module.__dict__)
