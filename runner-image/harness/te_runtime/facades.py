"""Safe stand-ins for the stdlib helpers that reach attributes on the caller's behalf.

`functools.update_wrapper`, `operator.attrgetter`/`methodcaller`, `string.Formatter`, `str.format`
and `logging.config` all look attributes up (or import modules) inside stdlib code, with names the
skill chooses, possibly from its input. The guard's own `getattr` refuses private names; these
helpers would not. So skill code gets facades: the same behaviour for public names, a SecurityError
for private, frame and code names. The kernel filter is still the boundary; this layer gives the
clear error.
"""
import functools
import string
from _string import formatter_field_name_split  # the parser str.format itself uses

from .names import SecurityError, is_private_name

# The names update_wrapper copies by default: dunders, but public in meaning.
_WRAPPER_NAMES = frozenset(functools.WRAPPER_ASSIGNMENTS) | frozenset(functools.WRAPPER_UPDATES)


def _refuse(helper, name):
    raise SecurityError(
        f"{helper} with the attribute {name!r} is refused: names starting with '_' and frame or "
        'code attributes are private to the runtime')


def _checked_names(helper, names, allowed=frozenset()):
    names = tuple(names)
    for name in names:
        if not isinstance(name, str):
            raise TypeError(f'{helper}: attribute names must be strings')
        name = str.__str__(name)
        if name not in allowed and is_private_name(name):
            _refuse(helper, name)
    return names


def safe_attribute(obj, name):
    """getattr for skill code, and for every helper that looks attributes up for it.

    Two public names are handled specially: `format`/`format_map` of a str hand out the safe
    formatter below, and `obj` of an exception is None (AttributeError.obj would hand back the real
    object that a failed lookup was made on)."""
    if name in ('format', 'format_map'):
        if isinstance(obj, str):
            return functools.partial(_SAFE_FORMATTER.format if name == 'format' else _format_map, obj)
        if isinstance(obj, type) and issubclass(obj, str):
            return _SAFE_FORMATTER.format if name == 'format' else _format_map
    if name == 'obj' and isinstance(obj, BaseException):
        return None
    return getattr(obj, name)


class SafeFormatter(string.Formatter):
    """string.Formatter whose field lookups (`{0.attr}`, `{0[key]}`) refuse private names."""

    def get_field(self, field_name, args, kwargs):
        first, rest = formatter_field_name_split(field_name)
        obj = self.get_value(first, args, kwargs)
        for is_attribute, key in rest:
            if is_attribute:
                if is_private_name(key):
                    _refuse('str.format', key)
                obj = safe_attribute(obj, key)
            else:
                obj = obj[key]
        return obj, first


_SAFE_FORMATTER = SafeFormatter()


def _format_map(text, mapping):
    return _SAFE_FORMATTER.vformat(text, (), mapping)


class attrgetter:
    """operator.attrgetter over the guard's getattr."""

    __slots__ = ('_paths', '__weakref__')

    def __init__(self, attr, *attrs):
        paths = []
        for dotted in (attr, *attrs):
            if not isinstance(dotted, str):
                raise TypeError('attribute name must be a string')
            paths.append(_checked_names('operator.attrgetter', dotted.split('.')))
        self._paths = tuple(paths)

    def __call__(self, obj):
        values = []
        for path in self._paths:
            value = obj
            for name in path:
                value = safe_attribute(value, name)
            values.append(value)
        return values[0] if len(values) == 1 else tuple(values)


class methodcaller:
    """operator.methodcaller over the guard's getattr."""

    __slots__ = ('_name', '_args', '_kwargs', '__weakref__')

    def __init__(self, name, /, *args, **kwargs):
        (self._name,) = _checked_names('operator.methodcaller', (name,))
        self._args = args
        self._kwargs = kwargs

    def __call__(self, obj):
        return safe_attribute(obj, self._name)(*self._args, **self._kwargs)


def update_wrapper(wrapper, wrapped, assigned=functools.WRAPPER_ASSIGNMENTS, updated=functools.WRAPPER_UPDATES):
    _checked_names('functools.update_wrapper', assigned, _WRAPPER_NAMES)
    _checked_names('functools.update_wrapper', updated, _WRAPPER_NAMES)
    return functools.update_wrapper(wrapper, wrapped, assigned, updated)


def wraps(wrapped, assigned=functools.WRAPPER_ASSIGNMENTS, updated=functools.WRAPPER_UPDATES):
    return functools.partial(update_wrapper, wrapped=wrapped, assigned=assigned, updated=updated)


# module name -> {attribute: stand-in}, and the attributes a module's view leaves out entirely.
REPLACED = {
    'functools': {'update_wrapper': update_wrapper, 'wraps': wraps},
    'operator': {'attrgetter': attrgetter, 'methodcaller': methodcaller},
    'string': {'Formatter': SafeFormatter},
}
# logging.currentframe hands out the caller's frame (and f_back the harness's); logging.config is a
# loader (dictConfig resolves ext:// names and imports modules, fileConfig evals its arguments).
WITHHELD = {
    'logging': frozenset({'currentframe', 'config'}),
}
# Submodules no allowlist entry reaches: `logging` on the allowlist does not allow `logging.config`.
WITHHELD_MODULES = frozenset({'logging.config'})


# What replaced() answers for an attribute the view leaves out.
WITHHELD_MARK = object()


def replaced(module_name, attribute, value):
    """What a module's view shows for one of its public attributes (WITHHELD_MARK: nothing)."""
    if attribute in WITHHELD.get(module_name, ()):
        return WITHHELD_MARK
    return REPLACED.get(module_name, {}).get(attribute, value)
