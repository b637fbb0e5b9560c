// The runtime guard (SPEC §4: "the same rules hold inside the container"): code that slipped past
// the static checker meets restricted builtins, the import guard and the audit hook at run time,
// and the run fails naming what was refused. Ordinary code under the default policy still works.
import assert from 'node:assert/strict';
import type { RuntimePolicy } from '../../server/src/engine/index.js';
import { assertNoContainersLeft, DEFAULT_POLICY, py, skillJob, testBackend } from '../helpers/docker.js';

interface Refusal {
  scenario: string;
  source: string;
  message: RegExp;
  type?: string;
  policy?: RuntimePolicy;
}

const withImports = (...names: string[]): RuntimePolicy => ({ ...DEFAULT_POLICY, allow_imports: [...DEFAULT_POLICY.allow_imports, ...names] });

// Each case: a way past the parser, and the rule that still stops it.
const REFUSALS: Refusal[] = [
  { scenario: 'eval of a string', source: "def run(inp):\n    return eval('1 + 1')\n", message: /the builtin eval\(\) is refused/ },
  { scenario: 'exec of a string', source: "def run(inp):\n    exec('x = 1')\n", message: /the builtin exec\(\) is refused/ },
  { scenario: 'open of a file', source: "def run(inp):\n    return open('/etc/hostname').read()\n", message: /the builtin open\(\) is refused/ },
  { scenario: '__import__ of os', source: "def run(inp):\n    return __import__('os').getcwd()\n", message: /import of 'os' is refused/ },
  { scenario: 'import os', source: 'import os\ndef run(inp):\n    return 1\n', message: /import of 'os' is refused/ },
  { scenario: 'import socket', source: 'import socket\ndef run(inp):\n    return 1\n', message: /import of 'socket' is refused/ },
  { scenario: 'import subprocess', source: 'from subprocess import run as sh\ndef run(inp):\n    return 1\n', message: /import of 'subprocess' is refused/ },
  { scenario: 'import ctypes', source: 'import ctypes\ndef run(inp):\n    return 1\n', message: /import of 'ctypes' is refused/ },
  {
    scenario: 'getattr with a dunder name computed at run time',
    source: "def run(inp):\n    name = '__' + 'class' + '__'\n    return str(getattr(inp, name))\n",
    message: /getattr\(\) of the attribute '__class__' is refused/,
  },
  { scenario: 'setattr of a private name', source: "def run(inp):\n    setattr(run, '_x', 1)\n", message: /setattr\(\) of the attribute '_x' is refused/ },
  {
    scenario: 'attribute syntax that climbs to a function\'s globals',
    source: 'def run(inp):\n    return run.__globals__\n',
    message: /the attribute '__globals__' at main\.py:2 is refused/,
  },
  {
    scenario: 'a module reached through an allowed one (json.codecs)',
    source: "import json\ndef run(inp):\n    return json.codecs.open('/etc/hostname').read()\n",
    type: 'AttributeError',
    message: /module 'json' has no attribute 'codecs'/,
  },
  {
    scenario: 'os.system reached through string.Formatter field lookups (the Formatter facade)',
    source: py`
      import string
      def run(inp):
          fields = string.Formatter()
          classes = fields.get_field('0.__class__.__base__.__subclasses__', [()], {})[0]()
          wrap_close = [c for c in classes if c.__name__ == '_wrap_close'][0]
          os_globals = fields.get_field('0.__init__.__globals__', [wrap_close], {})[0]
          return os_globals['system']('id')
    `,
    policy: withImports('string'),
    message: /str\.format with the attribute '__class__' is refused/,
  },
  {
    scenario: 'the real builtins through a Formatter field lookup (the Formatter facade)',
    source: py`
      import string
      def run(inp):
          real_builtins = string.Formatter().get_field('0.__self__', [print], {})[0]
          return real_builtins.open('/etc/hostname').read()
    `,
    policy: withImports('string'),
    message: /str\.format with the attribute '__self__' is refused/,
  },
  {
    scenario: 'a frame taken through operator.attrgetter (the operator facade)',
    source: py`
      import operator
      def run(inp):
          try:
              1 / 0
          except ZeroDivisionError as error:
              return str(operator.attrgetter('__traceback__.tb_frame')(error))
    `,
    message: /operator\.attrgetter with the attribute '__traceback__' is refused/,
  },
  {
    scenario: 'the real __import__ through a Formatter field lookup (the Formatter facade)',
    source: py`
      import string
      def run(inp):
          real_import = string.Formatter().get_field('0.__self__.__import__', [print], {})[0]
          return str(real_import('sys')._getframe())
    `,
    policy: withImports('string'),
    message: /str\.format with the attribute '__self__' is refused/,
  },
  {
    scenario: 'eval hidden in a type annotation that typing evaluates (audit hook)',
    source: py`
      import typing
      def run(inp):
          def f(x: '__import__("os").system("id")'):
              pass
          return typing.get_type_hints(f, globalns={})
    `,
    message: /os\.system is refused/,
  },
];

describe('engine: the runtime guard inside the container', () => {
  const { backend, dataDir } = testBackend('guard');

  after(async () => {
    await backend.close();
    await assertNoContainersLeft(dataDir);
  });

  for (const refusal of REFUSALS) {
    it(`refuses ${refusal.scenario}`, async () => {
      const outcome = await backend.run(skillJob(refusal.source, { policy: refusal.policy ?? DEFAULT_POLICY }));
      assert.equal(outcome.status, 'failed');
      assert.equal(outcome.error?.type, refusal.type ?? 'SecurityError', outcome.error?.message);
      assert.match(outcome.error?.message ?? '', refusal.message);
    });
  }

  it('lets ordinary code run: json, re, datetime, collections, dataclasses, enum, typing, classes, recursion', async () => {
    const outcome = await backend.run(
      skillJob(py`
        import collections, dataclasses, datetime, decimal, enum, functools, hashlib, json, math, re, typing
        import zoneinfo

        @dataclasses.dataclass
        class Point:
            x: int
            y: int = 0

        class Pair(typing.NamedTuple):
            left: str
            right: str

        class Color(enum.Enum):
            RED = 1

        class Shape:
            def __init__(self, name):
                self.name = name
            def describe(self):
                return f'{self.name} with {self.sides()} sides'

        class Square(Shape):
            def __init__(self):
                super().__init__('square')
            def sides(self):
                return 4

        @functools.lru_cache
        def fib(n):
            return n if n < 2 else fib(n - 1) + fib(n - 2)

        def depth(n):
            return 0 if n == 0 else 1 + depth(n - 1)

        def run(inp):
            day = datetime.datetime.strptime(inp['day'], '%Y-%m-%d')
            paris = datetime.datetime(2024, 7, 1, 12, tzinfo=zoneinfo.ZoneInfo('Europe/Paris'))
            return {
                'json': json.loads(json.dumps({'a': [1, 2]})),
                're': re.findall(r'\d+', 'a1b22c333'),
                'next day': (day + datetime.timedelta(days=1)).date().isoformat(),
                'utc offset': paris.utcoffset().total_seconds(),
                'counter': collections.Counter('hello').most_common(1),
                'point': dataclasses.asdict(Point(1)),
                'pair': Pair('l', 'r')._asdict(),
                'color': Color.RED.name,
                'square': Square().describe(),
                'fib': fib(80),
                'depth': depth(500),
                'decimal': str(decimal.Decimal('1.10') + decimal.Decimal('2.20')),
                'sha': hashlib.sha256(b'skill').hexdigest()[:8],
                'pi': round(math.pi, 3),
            }
      `, { input: { day: '2024-02-28' } }),
    );
    assert.equal(outcome.status, 'succeeded', JSON.stringify(outcome.error));
    assert.deepEqual(outcome.result, {
      json: { a: [1, 2] },
      re: ['1', '22', '333'],
      'next day': '2024-02-29',
      'utc offset': 7200,
      counter: [['l', 2]],
      point: { x: 1, y: 0 },
      pair: { left: 'l', right: 'r' },
      color: 'RED',
      square: 'square with 4 sides',
      fib: 23416728348467685,
      depth: 500,
      decimal: '3.30',
      sha: '9c53c074',
      pi: 3.142,
    });
  });
});
