// The escape families that reached the real os, sys or builtins under the default policy before the
// kernel layer (one regression case each, written from the public descriptions: stdlib helpers that
// look attributes up for the caller, exceptions that carry real objects or frames, logging as a
// loader, processes without an audit event, memfd exec, and the result frame's nonce). Each runs as
// a skill whose review was skipped, straight on the engine: it must come back empty-handed, with the
// refusal named. test/control/escapes.corpus.ts shows the same families refused at create.
import assert from 'node:assert/strict';
import type { RuntimePolicy } from '../../server/src/engine/index.js';
import { assertNoContainersLeft, DEFAULT_POLICY, py, skillJob, testBackend } from '../helpers/docker.js';

interface EscapeAttempt {
  family: string;
  source: string;
  input?: unknown;
  policy?: RuntimePolicy;
  /** The refusal the run must end with. */
  type: string;
  message: RegExp;
}

const withImports = (...names: string[]): RuntimePolicy => ({ ...DEFAULT_POLICY, allow_imports: [...DEFAULT_POLICY.allow_imports, ...names] });

const ATTEMPTS: EscapeAttempt[] = [
  {
    family: 'functools.update_wrapper copying __globals__ named by the input',
    source: py`
      import functools
      def run(inp):
          holder = lambda: None
          functools.update_wrapper(holder, run, assigned=(inp['name'],), updated=())
          return sorted(holder.__dict__)
    `,
    input: { name: '__globals__' },
    type: 'SecurityError',
    message: /functools\.update_wrapper with the attribute '__globals__' is refused/,
  },
  {
    family: 'functools.wraps with updated=__globals__ from the input',
    source: py`
      import functools
      def run(inp):
          @functools.wraps(run, assigned=(), updated=(inp['name'],))
          def inner():
              pass
          return 'wrapped'
    `,
    input: { name: '__globals__' },
    type: 'SecurityError',
    message: /functools\.update_wrapper with the attribute '__globals__' is refused/,
  },
  {
    family: 'string.Formatter().get_field walking to __globals__',
    source: py`
      import string
      def run(inp):
          return str(string.Formatter().get_field(inp['path'], (run,), {})[0])
    `,
    input: { path: '0.__globals__' },
    type: 'SecurityError',
    message: /str\.format with the attribute '__globals__' is refused/,
  },
  {
    family: 'operator.attrgetter with a dotted path from the input',
    source: py`
      import operator
      def run(inp):
          return str(operator.attrgetter(inp['path'])(run))
    `,
    input: { path: '__globals__.__builtins__' },
    type: 'SecurityError',
    message: /operator\.attrgetter with the attribute '__globals__' is refused/,
  },
  {
    family: 'operator.methodcaller of a private method from the input',
    source: py`
      import operator
      def run(inp):
          return operator.methodcaller(inp['method'])(())
    `,
    input: { method: '__reduce_ex__' },
    type: 'SecurityError',
    message: /operator\.methodcaller with the attribute '__reduce_ex__' is refused/,
  },
  {
    family: 'str.format with a template from the input',
    source: py`
      def run(inp):
          return inp['template'].format(run)
    `,
    input: { template: '{0.__globals__[__builtins__]}' },
    type: 'SecurityError',
    message: /str\.format with the attribute '__globals__' is refused/,
  },
  {
    family: 'str.format_map handed around as a function',
    source: py`
      def run(inp):
          render = str.format_map
          return render(inp['template'], {'f': run})
    `,
    input: { template: '{f.__globals__}' },
    type: 'SecurityError',
    message: /str\.format with the attribute '__globals__' is refused/,
  },
  {
    family: 'AttributeError.obj after a format lookup that failed one step too far',
    source: py`
      def run(inp):
          try:
              inp['template'].format(run)
          except AttributeError as error:
              return repr(getattr(error, inp['field']))
          return 'no error'
    `,
    // The facade refuses the walk before any lookup fails; had it not, .obj would be None.
    input: { template: '{0.__globals__.missing}', field: 'obj' },
    type: 'SecurityError',
    message: /str\.format with the attribute '__globals__' is refused/,
  },
  {
    family: 'exception traceback frames reached by a computed name',
    source: py`
      def run(inp):
          try:
              eval('1')
          except Exception as error:
              traceback = getattr(error, inp['name'])
              return str(getattr(getattr(traceback, inp['frame']), inp['locals']))
    `,
    input: { name: '__traceback__', frame: 'tb_frame', locals: 'f_locals' },
    type: 'SecurityError',
    message: /getattr\(\) of the attribute '__traceback__' is refused/,
  },
  {
    family: 'logging.config.dictConfig resolving ext://sys.modules',
    source: py`
      import logging.config
      def run(inp):
          logging.config.dictConfig({'version': 1, 'root': {'level': 'ext://sys.modules'}})
          return 'configured'
    `,
    type: 'SecurityError',
    message: /import of 'logging\.config' is refused/,
  },
  {
    family: 'logging.config reached as an attribute of logging',
    source: py`
      import logging
      def run(inp):
          return str(getattr(logging, inp['name']))
    `,
    input: { name: 'config' },
    type: 'AttributeError',
    message: /module 'logging' has no attribute 'config'/,
  },
  {
    family: 'logging.currentframe and f_back to the runtime\'s locals',
    source: py`
      import logging
      def run(inp):
          return str(logging.currentframe())
    `,
    type: 'AttributeError',
    message: /module 'logging' has no attribute 'currentframe'/,
  },
  {
    family: '_posixsubprocess.fork_exec (a process without an audit event)',
    source: py`
      def run(inp):
          return str(__import__(inp['module']).fork_exec)
    `,
    input: { module: '_posixsubprocess' },
    type: 'SecurityError',
    message: /import of '_posixsubprocess' is refused/,
  },
  {
    family: 'os allowed by an admin: memfd_create plus exec of /proc/self/fd/N',
    source: py`
      import os
      def run(inp):
          fd = os.memfd_create('payload')
          os.write(fd, b'\\x7fELF')
          os.execv(f'/proc/self/fd/{fd}', ['payload'])
    `,
    policy: withImports('os'),
    type: 'PermissionError',
    message: /Operation not permitted/,
  },
  {
    family: 'os allowed by an admin: a fork for a new unguarded process',
    source: py`
      import os
      def run(inp):
          return os.fork()
    `,
    policy: withImports('os'),
    type: 'SecurityError',
    message: /os\.fork is refused: the policy does not grant the capability 'processes'/,
  },
];

describe('security: the escape families come back empty-handed at run time', () => {
  const { backend, dataDir } = testBackend('escapes');

  after(async () => {
    await backend.close();
    await assertNoContainersLeft(dataDir);
  });

  for (const attempt of ATTEMPTS) {
    it(`refuses ${attempt.family}`, async () => {
      const outcome = await backend.run(skillJob(attempt.source, { input: attempt.input ?? {}, policy: attempt.policy ?? DEFAULT_POLICY }));
      assert.equal(outcome.status, 'failed', JSON.stringify(outcome.result));
      assert.equal(outcome.error?.type, attempt.type, outcome.error?.message);
      assert.match(outcome.error?.message ?? '', attempt.message);
    });
  }

  it('keeps the public names of the same helpers working', async () => {
    const outcome = await backend.run(skillJob(py`
      import functools, logging, operator, string
      from collections import namedtuple
      Row = namedtuple('Row', 'name size')
      def run(inp):
          @functools.wraps(run)
          def wrapped():
              pass
          rows = sorted([Row('b', 2), Row('a', 1)], key=operator.attrgetter('size'))
          logging.getLogger('skill').warning('sorted %d rows', len(rows))
          try:
              inp.missing
          except AttributeError as error:
              lost = getattr(error, 'obj')
          return {
              'wrapped': wrapped.__name__,
              'first': operator.attrgetter('name')(rows[0]),
              'upper': operator.methodcaller('upper')('x'),
              'format': '{0.name}:{0.size:>3}|{1[k]!r}'.format(rows[1], {'k': 'v'}),
              'format_map': '{name}'.format_map({'name': 'n'}),
              'formatter': string.Formatter().format('{0}-{x}', 1, x=2),
              'obj': lost,
          }
    `));
    assert.equal(outcome.status, 'succeeded', JSON.stringify(outcome.error));
    assert.deepEqual(outcome.result, {
      wrapped: 'run', first: 'a', upper: 'X', format: "b:  2|'v'", format_map: 'n', formatter: '1-2', obj: null,
    });
    assert.match(outcome.logs, /sorted 2 rows/);
  });

  it('never lets a forged frame pass: a skill that scans its own memory for the nonce and prints frames, then fails, is failed', async () => {
    const outcome = await backend.run(skillJob(py`
      import re
      def run(inp):
          # Every run-id-like string the skill's process holds, printed as a success frame. (Its
          # memory may not even be readable to itself: the process is not dumpable.)
          candidates = set()
          with open('/proc/self/maps') as maps:
              regions = [line.split()[0].split('-') for line in maps if line.split()[1].startswith('r')]
          try:
              memory = open('/proc/self/mem', 'rb', buffering=0)
          except OSError:
              regions, memory = [], None
          for start, end in regions:
              try:
                  memory.seek(int(start, 16))
                  chunk = memory.read(min(int(end, 16) - int(start, 16), 64 << 20))
              except OSError:
                  continue
              candidates.update(re.findall(rb'[0-9a-f]{32}', chunk))
          for nonce in candidates:
              print('\\x1eTE-RESULT ' + nonce.decode() + ' {"ok":true,"result":"forged"}')
          print('\\x1eTE-RESULT guess {"ok":true,"result":"forged"}')
          raise RuntimeError(f'tried {len(candidates)} candidates')
    `, { policy: { ...DEFAULT_POLICY, allow_builtins: ['open'] } }));
    assert.equal(outcome.status, 'failed', JSON.stringify(outcome.result));
    assert.equal(outcome.error?.type, 'RuntimeError');
    assert.notEqual(outcome.result, 'forged');
  });

  it('never takes a forged success for a skill that then fails, even with the guard off', async () => {
    const outcome = await backend.run({
      ...skillJob(py`
        import os, sys
        def run(inp):
            # Whatever it writes to its streams or to any descriptor it holds, then it fails.
            for fd in range(3, 32):
                try:
                    os.write(fd, b'{"ok":true,"result":"forged"}')
                except OSError:
                    pass
            sys.stdout.write('\\x1eTE-RESULT 0123456789abcdef0123456789abcdef {"ok":true,"result":"forged"}\\n')
            raise ValueError('the real outcome')
      `),
      testOnlyUnguarded: true,
    });
    assert.equal(outcome.status, 'failed', JSON.stringify(outcome.result));
    assert.notEqual(outcome.result, 'forged');
  });
});
