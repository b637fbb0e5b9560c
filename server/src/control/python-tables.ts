// What the checker knows about the runner's interpreter (CPython 3.11, `runner-image/Dockerfile`): its
// builtins, the attributes that climb out of a sandbox, and the module-valued attributes of the default
// import allowlist. The lists were taken from that interpreter (`dir(builtins)`, `dir(types.FrameType)`,
// `vars(module)`), so they change with it and nowhere else.

/**
 * Every builtin name of CPython 3.11 that is not an exception class (`dir(builtins)`, with the `site`
 * additions), plus the `__builtins__` module global. A read of one of these is checked against the
 * allowlist below; a name outside this list is the skill's own (or a NameError).
 */
const CPYTHON_BUILTINS: ReadonlySet<string> = new Set([
  'Ellipsis', 'False', 'None', 'NotImplemented', 'True', '__build_class__', '__debug__', '__doc__',
  '__import__', '__loader__', '__name__', '__package__', '__spec__', 'abs', 'aiter', 'all', 'anext', 'any',
  'ascii', 'bin', 'bool', 'breakpoint', 'bytearray', 'bytes', 'callable', 'chr', 'classmethod', 'compile',
  'complex', 'copyright', 'credits', 'delattr', 'dict', 'dir', 'divmod', 'enumerate', 'eval', 'exec', 'exit',
  'filter', 'float', 'format', 'frozenset', 'getattr', 'globals', 'hasattr', 'hash', 'help', 'hex', 'id',
  'input', 'int', 'isinstance', 'issubclass', 'iter', 'len', 'license', 'list', 'locals', 'map', 'max',
  'memoryview', 'min', 'next', 'object', 'oct', 'open', 'ord', 'pow', 'print', 'property', 'quit', 'range',
  'repr', 'reversed', 'round', 'set', 'setattr', 'slice', 'sorted', 'staticmethod', 'str', 'sum', 'super',
  'tuple', 'type', 'vars', 'zip', '__builtins__',
]);

/**
 * The allowlist: values, types and pure functions that reach nothing outside. Exception classes are
 * not builtins this checker refuses (raising and catching them is ordinary), so they need no entry.
 */
export const SAFE_BUILTINS: ReadonlySet<string> = new Set([
  'abs', 'aiter', 'all', 'anext', 'any', 'ascii', 'bin', 'bool', 'bytearray', 'bytes', 'callable', 'chr',
  'classmethod', 'complex', 'dict', 'dir', 'divmod', 'enumerate', 'filter', 'float', 'format', 'frozenset',
  'hash', 'hex', 'int', 'isinstance', 'issubclass', 'iter', 'len', 'list', 'map', 'max', 'min', 'next',
  'object', 'oct', 'ord', 'pow', 'print', 'property', 'range', 'repr', 'reversed', 'round', 'set', 'slice',
  'sorted', 'staticmethod', 'str', 'sum', 'super', 'tuple', 'type', 'zip',
  'True', 'False', 'None', 'NotImplemented', 'Ellipsis', '__name__', '__doc__', '__debug__', '__package__',
]);

/** Builtins that take an attribute name as a string: allowed, with the name checked at the call. */
export const NAME_TAKING_BUILTINS: ReadonlySet<string> = new Set(['getattr', 'setattr', 'delattr', 'hasattr']);

/** Why the builtins outside the allowlist are refused, for the message. An admin may permit some by name. */
const REFUSAL_REASONS: ReadonlyMap<string, string> = new Map([
  ['eval', 'runs code from a string'],
  ['exec', 'runs code from a string'],
  ['compile', 'makes code objects from a string'],
  ['open', 'reaches the file system'],
  ['__import__', 'imports any module by name'],
  ['breakpoint', 'starts a debugger that runs any command'],
  ['input', "reads the skill's stdin, which carries the harness's protocol"],
  ['globals', 'hands out the module namespace, __builtins__ included'],
  ['locals', 'hands out a namespace, and the frame behind it'],
  ['vars', "hands out any object's namespace (its __dict__)"],
  ['memoryview', "views raw buffers; a staple of exploits of the interpreter's memory"],
  ['id', 'leaks object addresses, a step of memory-corruption exploits'],
  ['help', 'pydoc: imports any module by name and may start a pager'],
  ['copyright', 'a site helper that reads files'],
  ['credits', 'a site helper that reads files'],
  ['license', 'a site helper that reads files (license._Printer__filenames)'],
  ['exit', 'a site helper that closes sys.stdin'],
  ['quit', 'a site helper that closes sys.stdin'],
  ['__build_class__', 'the low-level class construction hook'],
  ['__loader__', 'the import machinery (__loader__.load_module)'],
  ['__spec__', 'the import machinery (__spec__.loader)'],
  ['__builtins__', 'the builtins namespace itself, restricted or not'],
]);

/** Why a read of `name` as a builtin is refused, or null when the allowlist (or getattr's rule) covers it. */
export function refusedBuiltin(name: string): string | null {
  if (!CPYTHON_BUILTINS.has(name) || SAFE_BUILTINS.has(name) || NAME_TAKING_BUILTINS.has(name)) return null;
  return REFUSAL_REASONS.get(name) ?? 'a builtin outside the allowlist';
}

/**
 * Names refused wherever they stand, bound or read: rebinding or deleting `__builtins__` makes new
 * frames fall back to the real builtins, and `__class__` is the implicit cell of the class object.
 */
export const ESCAPE_NAMES: ReadonlySet<string> = new Set([
  '__builtins__', '__loader__', '__spec__', '__import__', '__build_class__', '__class__',
]);

/**
 * Dunder attributes that are the data model's operators and plain metadata: reading them hands out
 * nothing the object did not already give (`super().__init__`, `type(x).__name__`). Every other dunder
 * attribute is refused, so the list of escapes (__class__, __globals__, __subclasses__, __dict__,
 * __reduce_ex__, __self__, __traceback__ …) need not be complete. `__init_subclass__` is here: it
 * yields nothing, it only hooks class creation, whose code the checker reads like any other.
 */
export const SAFE_DUNDER_ATTRIBUTES: ReadonlySet<string> = new Set([
  '__init__', '__new__', '__post_init__', '__init_subclass__', '__set_name__', '__class_getitem__',
  '__name__', '__qualname__', '__doc__', '__module__', '__file__', '__version__', '__all__', '__slots__',
  '__main__', '__match_args__',
  '__repr__', '__str__', '__format__', '__bytes__', '__hash__', '__bool__', '__sizeof__',
  '__eq__', '__ne__', '__lt__', '__le__', '__gt__', '__ge__',
  '__len__', '__length_hint__', '__iter__', '__next__', '__reversed__', '__contains__', '__missing__',
  '__getitem__', '__setitem__', '__delitem__', '__call__', '__enter__', '__exit__',
  '__aenter__', '__aexit__', '__aiter__', '__anext__', '__await__',
  '__getattr__', '__setattr__', '__delattr__', '__copy__', '__deepcopy__',
  '__int__', '__float__', '__complex__', '__index__', '__round__', '__trunc__', '__floor__', '__ceil__',
  '__neg__', '__pos__', '__abs__', '__invert__',
  ...['add', 'sub', 'mul', 'matmul', 'truediv', 'floordiv', 'mod', 'divmod', 'pow', 'lshift', 'rshift', 'and', 'or', 'xor']
    .flatMap((op) => [`__${op}__`, `__r${op}__`, `__i${op}__`]),
]);

/** Attributes of frames, code objects, generators, coroutines and tracebacks: the frame walk. */
export const FRAME_ATTRIBUTES: ReadonlySet<string> = new Set([
  'f_back', 'f_builtins', 'f_code', 'f_globals', 'f_lasti', 'f_lineno', 'f_locals', 'f_trace',
  'f_trace_lines', 'f_trace_opcodes',
  'co_argcount', 'co_cellvars', 'co_code', 'co_consts', 'co_exceptiontable', 'co_filename', 'co_firstlineno',
  'co_flags', 'co_freevars', 'co_kwonlyargcount', 'co_lines', 'co_linetable', 'co_lnotab', 'co_name',
  'co_names', 'co_nlocals', 'co_positions', 'co_posonlyargcount', 'co_qualname', 'co_stacksize',
  'co_varnames', '_co_code_adaptive', '_varname_from_oparg',
  'gi_code', 'gi_frame', 'gi_yieldfrom', 'cr_await', 'cr_code', 'cr_frame', 'cr_origin',
  'ag_await', 'ag_code', 'ag_frame', 'tb_frame', 'tb_next', 'tb_lasti',
]);

/**
 * Public attributes of the default allowlist's modules that are modules themselves (3.11): reaching
 * one is importing it, so it must pass the import rule (`datetime.sys`, `enum.bltns`, `json.codecs`).
 */
export const MODULE_VALUED_ATTRIBUTES: ReadonlyMap<string, ReadonlyMap<string, string>> = new Map(
  Object.entries({
    base64: { binascii: 'binascii', re: 're', struct: 'struct' },
    calendar: { datetime: 'datetime', sys: 'sys' },
    collections: { abc: 'collections.abc' },
    dataclasses: {
      abc: 'abc', builtins: 'builtins', copy: 'copy', functools: 'functools', inspect: 'inspect',
      itertools: 'itertools', keyword: 'keyword', re: 're', sys: 'sys', types: 'types',
    },
    datetime: { sys: 'sys' },
    enum: { bltns: 'builtins', sys: 'sys' },
    fractions: { math: 'math', numbers: 'numbers', operator: 'operator', re: 're', sys: 'sys' },
    json: { codecs: 'codecs', decoder: 'json.decoder', encoder: 'json.encoder', scanner: 'json.scanner' },
    logging: {
      atexit: 'atexit', collections: 'collections', io: 'io', os: 'os', re: 're', sys: 'sys', threading: 'threading',
      time: 'time', traceback: 'traceback', warnings: 'warnings', weakref: 'weakref',
    },
    re: { copyreg: 'copyreg', enum: 'enum', functools: 'functools' },
    statistics: { math: 'math', numbers: 'numbers', random: 'random', sys: 'sys' },
    textwrap: { re: 're' },
    typing: {
      collections: 'collections', contextlib: 'contextlib', functools: 'functools', operator: 'operator',
      stdlib_re: 're', sys: 'sys', types: 'types', warnings: 'warnings',
    },
    uuid: { os: 'os', platform: 'platform', sys: 'sys' },
  }).map(([module, attributes]) => [module, new Map(Object.entries(attributes))]),
);

/**
 * Modules that hand out the process, the file system, the interpreter or code from strings. An
 * attribute of an admin-allowed module with one of these names (`os.sys`) is taken to be that module,
 * where the table above does not know the module.
 */
export const ESCAPE_MODULES: ReadonlySet<string> = new Set([
  'os', 'sys', 'posix', 'nt', 'subprocess', 'ctypes', 'pickle', 'marshal', 'shelve', 'importlib', 'builtins',
  'inspect', 'gc', 'code', 'codeop', 'types', 'codecs', 'io', 'shutil', 'socket', 'pty', 'platform', 'runpy',
  'multiprocessing', 'threading', '_thread', 'signal', 'tempfile', 'pathlib', 'glob', 'zipimport', 'pkgutil',
  'pdb', 'bdb', 'pydoc', 'site', 'sysconfig', 'linecache', 'traceback', 'tracemalloc', 'faulthandler',
  'resource', 'fcntl', 'mmap', 'asyncio', 'copyreg', 'weakref', 'warnings',
]);

/** Functions of allowed modules that evaluate a string as code (a string annotation is an expression). */
export const CODE_FROM_STRING: ReadonlyMap<string, ReadonlySet<string>> = new Map([
  ['typing', new Set(['get_type_hints', 'ForwardRef'])],
]);

/**
 * Parts of allowed modules that the runner's facades withhold, because they reach past the guard:
 * module -> attribute -> why. A module named here with a dot is withheld whole.
 */
export const RUNTIME_INTERNALS: ReadonlyMap<string, ReadonlyMap<string, string>> = new Map([
  ['logging', new Map([
    ['config', 'a loader: dictConfig imports modules and resolves ext:// names for the caller, fileConfig evaluates its arguments'],
    ['currentframe', "hands out the caller's frame, and through f_back the runtime's"],
  ])],
]);

/** The withheld part of `module` (`logging.config` itself, or a module inside it), or null. */
export function withheldModule(module: string): { name: string; why: string } | null {
  for (const [parent, attributes] of RUNTIME_INTERNALS) {
    for (const [attribute, why] of attributes) {
      const name = `${parent}.${attribute}`;
      if (module === name || module.startsWith(`${name}.`)) return { name, why };
    }
  }
  return null;
}

/** Calls that read an attribute named by a string argument, beside getattr and its kin. */
export const NAME_TAKING_CALLS: ReadonlyMap<string, { nameArgs: 'first' | 'second' | 'all' | 'any-literal'; dotted: boolean }> = new Map([
  ['getattr', { nameArgs: 'second', dotted: false }],
  ['setattr', { nameArgs: 'second', dotted: false }],
  ['delattr', { nameArgs: 'second', dotted: false }],
  ['hasattr', { nameArgs: 'second', dotted: false }],
  ['attrgetter', { nameArgs: 'all', dotted: true }],
  ['methodcaller', { nameArgs: 'first', dotted: false }],
  // bound (`obj.__setattr__(name, v)`) or not (`object.__setattr__(obj, name, v)`): any literal is the name
  ['__getattr__', { nameArgs: 'any-literal', dotted: false }],
  ['__setattr__', { nameArgs: 'any-literal', dotted: false }],
  ['__delattr__', { nameArgs: 'any-literal', dotted: false }],
]);

export function isDunder(name: string): boolean {
  return name.length > 4 && name.startsWith('__') && name.endsWith('__');
}

/** `_Printer__filenames`: a class-private name reached from outside its class. */
export function isMangledPrivate(name: string): boolean {
  return /^_[A-Za-z0-9]\w*?__\w*[A-Za-z0-9]$/.test(name) && !isDunder(name) && !name.startsWith('__');
}

/** What ordinary code means by the escapes it most often writes. */
const ALTERNATIVES: ReadonlyMap<string, string> = new Map([
  ['__class__', '; type(x) gives the class'],
  ['__dict__', '; dataclasses.asdict or an explicit dict gives the fields'],
]);

/** Why an attribute name climbs out, or null for an ordinary attribute. */
export function escapeAttributeReason(name: string): { rule: 'dunder-attribute' | 'frame-attribute' | 'private-attribute'; why: string } | null {
  if (isDunder(name) && !SAFE_DUNDER_ATTRIBUTES.has(name)) {
    return { rule: 'dunder-attribute', why: `a dunder attribute outside the data-model allowlist${ALTERNATIVES.get(name) ?? ''}` };
  }
  if (FRAME_ATTRIBUTES.has(name)) return { rule: 'frame-attribute', why: 'an attribute of frames, code objects, generators or tracebacks' };
  if (isMangledPrivate(name)) return { rule: 'private-attribute', why: "another class's private (name-mangled) attribute" };
  return null;
}
