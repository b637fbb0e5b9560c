// Escape techniques from the public record (pyjail write-ups, CTF sandboxes, Trojan Source, CPython
// tracker issues), one small named case each: why it is dangerous, and the exact rule and line that
// catch it. Grow it one row at a time. `runtimeOnly` marks tricks no parser can see (names built at
// run time): the container's guard stops those; the static decision chosen for them is asserted.
import type { RuleId } from '../../server/src/control/index.js';
import type { ControlPolicy, Decision } from '../../server/src/control/types.js';
import { py } from './helpers.js';

export interface EscapeCase {
  name: string;
  reason: string;
  /** main.py; the manifest's handler is `run`. */
  code: string;
  /** Further files of the skill. */
  files?: Record<string, string>;
  /** The rule that catches it, at this line; null for a runtimeOnly case that no static rule sees. */
  rule: RuleId | null;
  line: number | null;
  /** Where the finding is; main.py unless said. */
  file?: string;
  /** The decision expected; BLOCK unless said. */
  decision?: Decision;
  policy?: Partial<ControlPolicy>;
  runtimeOnly?: boolean;
}

const RUN = 'def run(inp):\n';

export const ESCAPES: EscapeCase[] = [
  // --- climbing the object graph -------------------------------------------------------------
  { name: 'tuple subclasses walk', reason: 'object.__subclasses__() lists every loaded class, os-wrapping ones included',
    code: RUN + '    return ().__class__.__bases__[0].__subclasses__()\n', rule: 'dunder-attribute', line: 2 },
  { name: 'catch_warnings builtins', reason: 'warnings.catch_warnings keeps a module whose __builtins__ are the real ones',
    code: py`
      def run(inp):
          w = [c for c in ().__class__.__base__.__subclasses__() if c.__name__ == 'catch_warnings'][0]
          return w()._module.__builtins__
    `, rule: 'dunder-attribute', line: 3 },
  { name: 'list class base', reason: '[].__class__.__base__ is object, the root of the subclass walk',
    code: RUN + '    return [].__class__.__base__\n', rule: 'dunder-attribute', line: 2 },
  { name: 'object subclasses', reason: 'object.__subclasses__ directly',
    code: RUN + '    return object.__subclasses__()\n', rule: 'dunder-attribute', line: 2 },
  { name: 'own class subclasses', reason: 'any class reaches __subclasses__ of its bases',
    code: py`
      class A:
          pass
      def run(inp):
          return A.__subclasses__()
    `, rule: 'dunder-attribute', line: 4 },
  { name: 'lambda globals', reason: "a function's __globals__ is its module namespace, __builtins__ included",
    code: RUN + '    return (lambda: 0).__globals__\n', rule: 'dunder-attribute', line: 2 },
  { name: 'init globals', reason: '__init__ is allowed, but its __globals__ is not',
    code: RUN + '    return inp.__init__.__globals__\n', rule: 'dunder-attribute', line: 2 },
  { name: 'function code swap', reason: 'type(f)(code, globals) builds a function from any code object',
    code: RUN + '    return type(run)(run.__code__, {})\n', rule: 'dunder-attribute', line: 2 },
  { name: 'reduce_ex', reason: '__reduce_ex__ hands out copyreg internals and constructors',
    code: RUN + '    return ().__reduce_ex__(2)\n', rule: 'dunder-attribute', line: 2 },
  { name: 'print self', reason: 'a builtin function\'s __self__ is the builtins module',
    code: RUN + '    return print.__self__\n', rule: 'dunder-attribute', line: 2 },
  { name: 'getattribute', reason: '__getattribute__ is getattr under another name',
    code: RUN + "    return inp.__getattribute__('x')\n", rule: 'dunder-attribute', line: 2 },
  { name: 'dict of self', reason: "__dict__ exposes and rewrites an object's namespace",
    code: RUN + '    return inp.__dict__\n', rule: 'dunder-attribute', line: 2 },
  { name: 'fullwidth attribute', reason: 'CPython NFKC-normalises attribute names: __ｃｌａｓｓ__ is __class__',
    code: RUN + '    return inp.__ｃｌａｓｓ__\n', rule: 'dunder-attribute', line: 2 },
  { name: 'class cell', reason: 'the bare __class__ cell of a method is the class object',
    code: py`
      class A:
          def f(self):
              return __class__
      def run(inp):
          return A().f()
    `, rule: 'dunder-name', line: 3 },

  // --- frames ---------------------------------------------------------------------------------
  { name: 'generator frame', reason: 'gi_frame.f_back.f_globals reaches the caller\'s globals',
    code: py`
      def run(inp):
          g = (x for x in [1])
          return g.gi_frame.f_back.f_globals
    `, rule: 'frame-attribute', line: 3 },
  { name: 'traceback frame', reason: 'an exception\'s traceback leads to frames and their globals',
    code: py`
      def run(inp):
          try:
              1 / 0
          except ZeroDivisionError as e:
              return e.__traceback__.tb_frame.f_globals
    `, rule: 'frame-attribute', line: 5 },
  { name: 'coroutine frame', reason: 'cr_frame of a coroutine is a frame like any other',
    code: py`
      async def f():
          return 1
      def run(inp):
          c = f()
          return c.cr_frame
    `, rule: 'frame-attribute', line: 5 },
  { name: 'async generator frame', reason: 'ag_frame of an async generator',
    code: py`
      async def g():
          yield 1
      def run(inp):
          return g().ag_frame
    `, rule: 'frame-attribute', line: 4 },
  { name: 'code object bytes', reason: 'co_code and co_consts rewrite bytecode',
    code: RUN + '    return run.__code__.co_code\n', rule: 'frame-attribute', line: 2 },

  // --- builtins ---------------------------------------------------------------------------------
  { name: 'decorator eval', reason: 'a decorator is a call: @eval evaluates the function object… or a string',
    code: py`
      @eval
      def f():
          pass
      def run(inp):
          return 1
    `, rule: 'dangerous-builtin', line: 1 },
  { name: 'default argument import', reason: 'defaults run at definition time',
    code: py`
      def f(x=__import__('os')):
          return x
      def run(inp):
          return 1
    `, rule: 'dangerous-builtin', line: 1 },
  { name: 'builtins subscript', reason: '__builtins__ is the real builtins (a dict in imported modules)',
    code: RUN + "    return __builtins__['eval']('1')\n", rule: 'dangerous-builtin', line: 2 },
  { name: 'breakpoint', reason: 'starts pdb, which runs any command',
    code: RUN + '    breakpoint()\n', rule: 'dangerous-builtin', line: 2 },
  { name: 'fullwidth eval', reason: 'NFKC: ｅｖａｌ is eval to CPython',
    code: RUN + "    return ｅｖａｌ('1+1')\n", rule: 'dangerous-builtin', line: 2 },
  { name: 'script e eval', reason: 'NFKC: ℯ (U+212F) is e, so ℯval is eval',
    code: RUN + "    return ℯval('1+1')\n", rule: 'dangerous-builtin', line: 2 },
  { name: 'compile and exec', reason: 'compile makes code objects from strings, exec runs them',
    code: RUN + "    exec(compile('x = 1', 'f', 'exec'))\n", rule: 'dangerous-builtin', line: 2 },
  { name: 'help', reason: 'pydoc imports modules by name and may start a pager',
    code: RUN + "    help('os')\n", rule: 'dangerous-builtin', line: 2 },
  { name: 'license printer', reason: 'license._Printer__filenames is a list of files it reads',
    code: RUN + "    license._Printer__filenames = ['/etc/passwd']\n", rule: 'dangerous-builtin', line: 2 },
  { name: 'vars', reason: "vars() is a namespace; vars(x) is x's __dict__",
    code: RUN + '    return vars()\n', rule: 'dangerous-builtin', line: 2 },
  { name: 'globals builtins', reason: "globals()['__builtins__'] is the builtins namespace",
    code: RUN + "    return globals()['__builtins__']\n", rule: 'dangerous-builtin', line: 2 },
  { name: 'locals', reason: 'locals() exposes the frame\'s namespace',
    code: RUN + '    return locals()\n', rule: 'dangerous-builtin', line: 2 },
  { name: 'walrus alias', reason: 'binding eval to another name does not hide the read of eval',
    code: RUN + "    return (e := eval)('1')\n", rule: 'dangerous-builtin', line: 2 },
  { name: 'plain reference', reason: 'f = eval, called later under another name',
    code: RUN + "    f = exec\n    return f('x = 1')\n", rule: 'dangerous-builtin', line: 2 },
  { name: 'loader', reason: '__loader__.load_module imports any module',
    code: RUN + "    return __loader__.load_module('os')\n", rule: 'dangerous-builtin', line: 2 },
  { name: 'spec', reason: '__spec__.loader is the import machinery',
    code: RUN + '    return __spec__.loader\n', rule: 'dangerous-builtin', line: 2 },
  { name: 'memoryview', reason: 'raw buffer views are the base of interpreter memory exploits',
    code: RUN + "    return memoryview(b'x')\n", rule: 'dangerous-builtin', line: 2 },
  { name: 'conditional module shadow', reason: 'a module-level binding that never runs leaves eval the builtin',
    code: py`
      if False:
          eval = len
      def run(inp):
          return eval('1')
    `, rule: 'dangerous-builtin', line: 4 },
  { name: 'other function shadow', reason: "a local eval in one function does not shadow the builtin in another",
    code: py`
      def helper():
          eval = len
          return eval
      def run(inp):
          return eval('1')
    `, rule: 'dangerous-builtin', line: 5 },
  { name: 'delete builtins', reason: 'without __builtins__ in globals, new frames get the real builtins',
    code: RUN + '    global __builtins__\n    del __builtins__\n', rule: 'dunder-name', line: 3 },
  { name: 'string annotation payload', reason: 'typing.get_type_hints and singledispatch evaluate string annotations',
    code: py`
      def f(x: "__import__('os').system('id')"):
          return x
      def run(inp):
          return 1
    `, rule: 'dangerous-builtin', line: 1 },

  // --- attribute names as strings -----------------------------------------------------------------
  { name: 'getattr concat', reason: 'constant folding: "__cl" + "ass__" is __class__',
    code: RUN + "    return getattr(inp, '__cl' + 'ass__')\n", rule: 'getattr-name', line: 2 },
  { name: 'getattr hex escapes', reason: 'string escapes are decoded before the name is checked',
    code: RUN + "    return getattr(inp, '\\x5f\\x5fclass\\x5f\\x5f')\n", rule: 'getattr-name', line: 2 },
  { name: 'getattr named escapes', reason: '\\N{LOW LINE} is _',
    code: RUN + "    return getattr(inp, '\\N{LOW LINE}\\N{LOW LINE}class\\N{LOW LINE}\\N{LOW LINE}')\n", rule: 'getattr-name', line: 2 },
  { name: 'setattr class', reason: 'setattr(x, "__class__", Y) retypes an object',
    code: RUN + "    setattr(inp, '__class__', dict)\n", rule: 'getattr-name', line: 2 },
  { name: 'object setattr class', reason: 'object.__setattr__ is setattr under another name',
    code: RUN + "    object.__setattr__(inp, '__class__', dict)\n", rule: 'getattr-name', line: 2 },
  { name: 'getattr private module name', reason: "getattr(random, '_os') is random._os, the os module",
    code: 'import random\n' + RUN + "    return getattr(random, '_os')\n", rule: 'getattr-name', line: 3 },
  { name: 'attrgetter', reason: 'operator.attrgetter takes dotted attribute paths as strings',
    code: 'import operator\n' + RUN + "    return operator.attrgetter('__init__.__globals__')(inp)\n", rule: 'getattr-name', line: 3 },
  { name: 'reduce getattr', reason: 'getattr handed to reduce with a list of names',
    code: 'import functools\n' + RUN + "    return functools.reduce(getattr, ['__class__', '__base__'], ())\n", rule: 'escape-name-string', line: 3 },
  { name: 'match args', reason: 'a class pattern reads the attributes named in __match_args__',
    code: py`
      class P:
          __match_args__ = ('__globals__',)
      def run(inp):
          return 1
    `, rule: 'escape-name-string', line: 2 },
  { name: 'formatter get_field', reason: 'string.Formatter().get_field walks a field path like str.format',
    code: 'import string\n' + RUN + "    return string.Formatter().get_field('0.__class__', [inp], {})\n", rule: 'escape-name-string', line: 3 },
  { name: 'getattr name built at run time', reason: 'a name made of chr() codes cannot be read before it runs',
    code: RUN + "    return getattr(inp, ''.join(map(chr, [95, 95, 99, 108, 97, 115, 115, 95, 95])))\n",
    rule: 'dynamic-attribute-name', line: 2, decision: 'WARN', runtimeOnly: true },

  // --- formatting -------------------------------------------------------------------------------
  { name: 'f-string attribute', reason: 'f-string expressions are code',
    code: RUN + "    return f'{inp.__class__}'\n", rule: 'dunder-attribute', line: 2 },
  { name: 'f-string nested spec', reason: 'a format spec may hold another expression',
    code: RUN + "    return f'{inp:{inp.__class__}}'\n", rule: 'dunder-attribute', line: 2 },
  { name: 'format globals', reason: 'str.format walks .attributes like getattr',
    code: RUN + "    return '{0.__globals__}'.format(run)\n", rule: 'format-field-attribute', line: 2 },
  { name: 'format template in a variable', reason: 'the template need not be the receiver',
    code: RUN + "    t = '{0.__init__.__globals__}'\n    return t.format(inp)\n", rule: 'format-field-attribute', line: 2 },
  { name: 'format index builtins', reason: 'str.format indexes too: {0[__builtins__]}',
    code: RUN + "    return '{m[__builtins__]}'.format_map({'m': inp})\n", rule: 'format-field-attribute', line: 2 },
  { name: 'format template built at run time', reason: 'a template assembled from input cannot be read before it runs',
    code: RUN + "    return ('{0.' + inp['name'] + '}').format(inp)\n", rule: null, line: null,
    decision: 'APPROVE', runtimeOnly: true },

  // --- imports and modules ------------------------------------------------------------------------
  { name: 'import os as json', reason: 'the alias does not change the module',
    code: 'import os as json\n' + RUN + '    return json\n', rule: 'import-not-allowed', line: 1 },
  { name: 'os system', reason: 'os runs commands', code: 'import os\n' + RUN + "    os.system('id')\n", rule: 'import-not-allowed', line: 1 },
  { name: 'subprocess', reason: 'subprocess runs commands', code: 'from subprocess import run as go\n' + RUN + "    go('id')\n", rule: 'import-not-allowed', line: 1 },
  { name: 'ctypes', reason: 'ctypes reads and writes memory', code: RUN + '    import ctypes\n', rule: 'import-not-allowed', line: 2 },
  { name: 'pickle loads', reason: 'unpickling calls any callable', code: 'import pickle\n' + RUN + "    return pickle.loads(b'')\n", rule: 'import-not-allowed', line: 1 },
  { name: 'marshal', reason: 'marshal builds code objects', code: 'import marshal\n' + RUN + '    return 1\n', rule: 'import-not-allowed', line: 1 },
  { name: 'sys modules', reason: 'sys.modules holds every loaded module', code: 'import sys\n' + RUN + "    return sys.modules['os']\n", rule: 'import-not-allowed', line: 1 },
  { name: 'codecs open', reason: 'codecs.open opens files', code: 'import codecs\n' + RUN + "    return codecs.open('/etc/passwd')\n", rule: 'import-not-allowed', line: 1 },
  { name: 'importlib', reason: 'import_module imports by name', code: 'import importlib\n' + RUN + "    return importlib.import_module('os')\n", rule: 'import-not-allowed', line: 1 },
  { name: 'relative import out of the skill', reason: 'from .. reaches outside the skill folder',
    code: 'from .. import secrets\n' + RUN + '    return 1\n', rule: 'import-not-allowed', line: 1 },
  { name: 'relative import of no file', reason: 'from . import x must name a file of the skill',
    code: 'from . import sitecustomize\n' + RUN + '    return 1\n', rule: 'import-not-allowed', line: 1 },
  { name: 'star import', reason: 'the names it binds (modules among them) are unknown before it runs',
    code: 'from math import *\n' + RUN + '    return pi\n', rule: 'star-import', line: 1 },
  { name: 'datetime sys', reason: 'datetime.sys is the sys module', code: 'import datetime\n' + RUN + '    return datetime.sys.modules\n', rule: 'module-attribute', line: 3 },
  { name: 'json codecs', reason: 'json.codecs is the codecs module', code: 'import json\n' + RUN + "    return json.codecs.open('x')\n", rule: 'module-attribute', line: 3 },
  { name: 'enum bltns', reason: 'enum.bltns is the builtins module', code: 'import enum\n' + RUN + "    return enum.bltns.eval('1')\n", rule: 'module-attribute', line: 3 },
  { name: 'typing sys', reason: 'typing.sys is the sys module', code: 'import typing\n' + RUN + '    return typing.sys\n', rule: 'module-attribute', line: 3 },
  { name: 'logging os', reason: 'logging.os is the os module', code: 'import logging\n' + RUN + "    return logging.os.system('id')\n", rule: 'module-attribute', line: 3 },
  { name: 'from datetime import sys', reason: 'a from-import of a module-valued attribute', code: 'from datetime import sys\n' + RUN + '    return sys\n', rule: 'module-attribute', line: 1 },
  { name: 're enum under a short allowlist', reason: 're.enum is the enum module, outside this policy\'s allowlist',
    code: 'import re\n' + RUN + '    return re.enum\n', rule: 'module-attribute', line: 3, policy: { allow_imports: ['json', 'math', 'datetime', 're'] } },
  { name: 'getattr of a module attribute', reason: "getattr(json, 'codecs') is json.codecs",
    code: 'import json\n' + RUN + "    return getattr(json, 'codecs')\n", rule: 'module-attribute', line: 3 },
  { name: 'module alias by assignment', reason: 'm = json makes m.codecs json.codecs',
    code: 'import json\nm = json\n' + RUN + '    return m.codecs\n', rule: 'module-attribute', line: 4 },
  { name: 'module passed as an argument', reason: 'a module handed on as a value: its attributes are read inside another function',
    code: py`
      import json
      def pick(m):
          return m.codecs
      def run(inp):
          return pick(json)
    `, rule: null, line: null, decision: 'APPROVE', runtimeOnly: true },
  { name: 'random os', reason: 'random._os is the os module', code: 'import random\n' + RUN + "    return random._os.system('id')\n", rule: 'private-attribute', line: 3 },
  { name: 'get_type_hints', reason: 'get_type_hints evaluates strings as code', code: 'import typing\n' + RUN + '    return typing.get_type_hints(run)\n', rule: 'code-from-string', line: 3 },
  { name: 'ForwardRef', reason: 'a ForwardRef is a string evaluated as code', code: 'from typing import ForwardRef\n' + RUN + '    return 1\n', rule: 'code-from-string', line: 1 },
  { name: 'exec in a nested file', reason: 'every file of the skill is analysed, not only the entrypoint',
    code: 'from lib import util\n' + RUN + '    return util.go()\n',
    files: { 'lib/util.py': "def go():\n    return exec('import os')\n" }, rule: 'dangerous-builtin', line: 2, file: 'lib/util.py' },
  { name: 'singledispatch forward reference', reason: 'List[s] with s a variable string becomes a ForwardRef that register() evaluates',
    code: py`
      from functools import singledispatch
      from typing import List
      payload = "len('a')"
      Alias = List[payload]
      @singledispatch
      def f(x):
          return x
      def run(inp):
          return 1
    `, rule: null, line: null, decision: 'APPROVE', runtimeOnly: true },

  // --- match patterns -----------------------------------------------------------------------------
  { name: 'class pattern keyword', reason: 'case object(__class__=c) reads the attribute',
    code: py`
      def run(inp):
          match inp:
              case object(__class__=c):
                  return c
    `, rule: 'dunder-attribute', line: 3 },

  // --- stdlib helpers that look attributes up, exceptions, loaders (issue: kernel-enforced policy) ---
  { name: 'update_wrapper copies a name from the input', reason: 'functools.update_wrapper does getattr(wrapped, name) inside stdlib code, with the caller\'s name',
    code: py`
      import functools
      def run(inp):
          holder = lambda: None
          functools.update_wrapper(holder, run, assigned=(inp['name'],), updated=())
          return holder.__name__
    `, rule: 'dynamic-attribute-name', line: 4, decision: 'WARN' },
  { name: 'update_wrapper copies __globals__', reason: 'a constant escape name handed to update_wrapper',
    code: py`
      import functools
      def run(inp):
          holder = lambda: None
          functools.update_wrapper(holder, run, assigned=('__globals__',), updated=())
          return holder
    `, rule: 'getattr-name', line: 4 },
  { name: 'wraps with a name from the input', reason: 'functools.wraps hands its names to update_wrapper',
    code: py`
      import functools
      def run(inp):
          @functools.wraps(run, assigned=[inp['name']])
          def inner():
              pass
          return 1
    `, rule: 'dynamic-attribute-name', line: 3, decision: 'WARN' },
  { name: 'Formatter.get_field with a path from the input', reason: 'string.Formatter().get_field walks attributes like getattr, in stdlib code',
    code: py`
      import string
      def run(inp):
          return str(string.Formatter().get_field(inp['path'], (run,), {})[0])
    `, rule: 'dynamic-attribute-name', line: 3, decision: 'WARN' },
  { name: 'methodcaller with a name from the input', reason: 'operator.methodcaller calls a method named by the caller',
    code: py`
      import operator
      def run(inp):
          return operator.methodcaller(inp['method'])(run)
    `, rule: 'dynamic-attribute-name', line: 3, decision: 'WARN' },
  { name: 'AttributeError.obj after a format lookup', reason: "'{0.missing}'.format(x) raises AttributeError whose .obj is the real object the walk reached",
    code: py`
      def run(inp):
          try:
              '{0.missing}'.format(run)
          except AttributeError as error:
              return str(error.obj)
    `, rule: 'exception-object', line: 5 },
  { name: 'getattr of obj on an exception', reason: 'the same object through getattr',
    code: py`
      def run(inp):
          try:
              '{0.missing}'.format(run)
          except AttributeError as error:
              return str(getattr(error, 'obj'))
    `, rule: 'exception-object', line: 5 },
  { name: 'traceback frames of a refusal', reason: "e.__traceback__.tb_frame.f_locals reaches the guard's own frame",
    code: py`
      def run(inp):
          try:
              eval('1')
          except Exception as error:
              return str(error.__traceback__)
    `, rule: 'dunder-attribute', line: 5 },
  { name: 'logging.config.dictConfig ext://', reason: 'dictConfig resolves ext://sys.modules and imports any module for the caller',
    code: py`
      import logging.config
      def run(inp):
          return logging.config.dictConfig({'version': 1, 'x': 'ext://sys.modules'})
    `, rule: 'runtime-internals', line: 1 },
  { name: 'from logging import config', reason: 'fileConfig evaluates its args',
    code: py`
      from logging import config
      def run(inp):
          return config.fileConfig
    `, rule: 'runtime-internals', line: 1 },
  { name: 'logging.config as an attribute', reason: 'the loader reached as an attribute of an allowed module',
    code: py`
      import logging
      def run(inp):
          return logging.config
    `, rule: 'runtime-internals', line: 3 },
  { name: 'logging.currentframe', reason: "currentframe().f_back reaches the runtime's frames",
    code: py`
      import logging
      def run(inp):
          return logging.currentframe()
    `, rule: 'runtime-internals', line: 3 },
  { name: '_posixsubprocess.fork_exec', reason: 'starts a process and raises no audit event',
    code: py`
      import _posixsubprocess
      def run(inp):
          return _posixsubprocess.fork_exec
    `, rule: 'import-not-allowed', line: 1 },

  // --- the same program for checker and interpreter ---------------------------------------------
  { name: 'utf-7 coding declaration', reason: 'CPython decodes +AAo- as a newline: the comment hides code',
    code: '# -*- coding: utf-7 -*-\n' + RUN + '    return 1 #+AAo-import os\n', rule: 'source-ambiguous', line: 1 },
  { name: 'lone carriage return', reason: 'CPython ends the comment at \\r; tree-sitter does not',
    code: RUN + "    return 1 # note\rimport os\n", rule: 'source-ambiguous', line: 2 },
  { name: 'nul byte', reason: 'CPython refuses NUL, tree-sitter reads past it', code: RUN + '    return 1\0\n', rule: 'source-ambiguous', line: 2 },
  { name: 'form feed', reason: 'indentation after a form feed is counted differently', code: RUN + '\f    return 1\n', rule: 'source-ambiguous', line: 2 },
  { name: 'bidi override', reason: 'Trojan Source: RLO in a comment reorders what a reviewer sees',
    code: RUN + '    access = "user"  # \u202e } \u2066if access != "admin":\u2069 \u2066 begin admins only\n    return access\n', rule: 'source-ambiguous', line: 2 },
  { name: 'zero width space in a name', reason: 'an invisible character makes two names look the same',
    code: RUN + '    ev\u200bal = 1\n    return 1\n', rule: 'source-ambiguous', line: 2 },
  { name: 'unpaired surrogate', reason: 'the text is not valid UTF-8 once stored', code: RUN + '    return "\ud800"\n', rule: 'source-ambiguous', line: 2 },
  { name: 'byte order mark', reason: 'a BOM changes how a coding declaration is read', code: '\ufeff' + RUN + '    return 1\n', rule: 'source-ambiguous', line: 1 },
  { name: 'mixed tab indentation', reason: 'tree-sitter counts " \\t" as 9 columns, CPython as 8',
    code: RUN + '    x = 1\n \treturn x\n', rule: 'source-ambiguous', line: 3 },
  { name: 'PEP 701 f-string quotes', reason: 'Python 3.11 and 3.12 end this string at different places',
    code: RUN + '    return f"{inp["a"]}"\n', rule: 'source-ambiguous', line: 2 },
  { name: 'python 2 exec statement', reason: 'exec "…" is no call: tree-sitter reads a statement',
    code: RUN + '    exec "import os"\n', rule: 'syntax-error', line: 2 },
  { name: 'does not parse', reason: 'an ERROR node: the checker cannot know what CPython would make of it',
    code: RUN + '    return (1,\n', rule: 'syntax-error', line: 2 },
];
