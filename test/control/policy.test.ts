// The policy decides: limits and permissions escalate, allow_imports and allow_builtins really change
// decisions, size and count caps refuse before anything is parsed, paths and the handler are checked,
// hostile sources are refused fast, and the digest pins the files a review saw.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { RULES } from '../../server/src/control/index.js';
import { assertFinding, controlLayer, describeFindings, policy, review, skill } from './helpers.js';

const RUN = 'def run(inp):\n    return {"ok": True}\n';

describe('control layer: what the manifest asks for', () => {
  for (const [key, value] of [['timeout_ms', 999999], ['memory_mb', 4096], ['cpus', 8], ['pids', 10000], ['output_bytes', 1e9]] as const) {
    it(`escalates limits.${key} above the maximum`, async () => {
      const result = await review(skill(RUN, { limits: { [key]: value } }));
      assert.equal(result.decision, 'ESCALATE', describeFindings(result));
      assertFinding(result, 'limits-above-max', null, 'manifest.yaml');
    });
  }

  it('approves limits at the maximum', async () => {
    const limits = { timeout_ms: 120000, memory_mb: 1024, cpus: 2, pids: 256, output_bytes: 8388608 };
    assert.equal((await review(skill(RUN, { limits }))).decision, 'APPROVE');
  });

  it('escalates any network origin, and any other truthy permission; network: [] is the default', async () => {
    const network = await review(skill(RUN, { permissions: { network: ['https://api.example.com'] } }));
    assert.equal(network.decision, 'ESCALATE');
    assert.match(describeFindings(network), /permission-requested .*https:\/\/api\.example\.com/);
    const other = await review(skill(RUN, { permissions: { network: [], filesystem: 'rw' } }));
    assert.equal(other.decision, 'ESCALATE');
    assert.match(describeFindings(other), /permission-requested .*permissions\.filesystem/);
    assert.equal((await review(skill(RUN, { permissions: { network: [] } }))).decision, 'APPROVE');
  });

  it('blocks a network entry the broker could not match, naming it', async () => {
    for (const origin of ['https://*.com', 'http://*.10.0.0.1', 'https://example.com:99999']) {
      const result = await review(skill(RUN, { permissions: { network: [origin] } }));
      assert.equal(result.decision, 'BLOCK', origin);
      assertFinding(result, 'network-origin-invalid', null, 'manifest.yaml');
    }
  });

  it('ranks BLOCK over ESCALATE over WARN', async () => {
    const blocked = await review(skill('def run(inp):\n    return eval("1")\n', { permissions: { network: ['https://api.example.com'] } }));
    assert.equal(blocked.decision, 'BLOCK');
    const escalated = await review(skill('def run(inp):\n    while True:\n        pass\n', { permissions: { network: ['https://api.example.com'] } }));
    assert.equal(escalated.decision, 'ESCALATE');
    assert.ok(escalated.findings.some((f) => f.rule === 'unbounded-loop'));
  });
});

describe('control layer: the admin policy changes decisions', () => {
  it('allows import os only when os is allowed, and os.sys still needs sys', async () => {
    const code = 'import os\nimport os.path\ndef run(inp):\n    return os.path.basename(inp["p"])\n';
    assert.equal((await review(code)).decision, 'BLOCK');
    assert.equal((await review(code, { allow_imports: ['os'] })).decision, 'APPROVE');
    const viaSys = await review('import os\ndef run(inp):\n    return os.sys.modules\n', { allow_imports: ['os'] });
    assertFinding(viaSys, 'module-attribute', 3);
  });

  it('holds __import__ and importlib, once permitted, to the import allowlist for constant names', async () => {
    const permitted = { allow_builtins: ['__import__'], allow_imports: ['json', 'importlib'] };
    assert.equal((await review('def run(inp):\n    return __import__("json").dumps(inp)\n', permitted)).decision, 'APPROVE');
    assertFinding(await review('def run(inp):\n    return __import__("os")\n', permitted), 'import-not-allowed', 2);
    assertFinding(await review('import importlib\ndef run(inp):\n    return importlib.import_module("os")\n', permitted), 'import-not-allowed', 3);
  });

  it('replaces the default allowlist when given', async () => {
    const result = await review('import math\ndef run(inp):\n    return math.pi\n', { allow_imports: ['json'] });
    assertFinding(result, 'import-not-allowed', 1);
  });

  it('allows open only when allow_builtins names it', async () => {
    const code = 'def run(inp):\n    with open("/tmp/x") as f:\n        return f.read()\n';
    assertFinding(await review(code), 'dangerous-builtin', 2);
    assert.equal((await review(code, { allow_builtins: ['open'] })).decision, 'APPROVE');
  });
});

describe('control layer: the skill as a whole', () => {
  it('refuses more files than the policy allows, without reading them', async () => {
    const files = { 'main.py': RUN, 'a.py': 'eval("1")\n', 'b.py': '' };
    const result = await review(skill(files), { max_files: 2 });
    assert.deepEqual(result.findings.map((f) => f.rule), ['too-many-files']);
    assert.equal(result.decision, 'BLOCK');
  });

  it('refuses more code than the policy allows, without parsing it', async () => {
    const result = await review(skill(RUN + '#'.repeat(2000)), { max_code_bytes: 1000 });
    assert.deepEqual(result.findings.map((f) => f.rule), ['code-too-large']);
  });

  for (const path of ['../evil.py', '/abs.py', 'a\\b.py', 'mod.pyc', '__pycache__/main.cpython-311.pyc', '.hidden.py', 'lib//x.py', 'native.so', 'bundle.zip', 'manifest.yaml', 'manifest.yaml/notes.txt', 'json.py']) {
    it(`refuses the path ${path}`, async () => {
      const result = await review(skill({ 'main.py': RUN, [path]: '' }));
      assert.equal(result.decision, 'BLOCK');
      assertFinding(result, 'path-invalid', null, null);
    });
  }

  it('accepts nested Python files and text data', async () => {
    const result = await review(skill({ 'main.py': RUN, 'lib/util.py': 'X = 1\n', 'data/words.txt': 'a\n', 'data/table.csv': 'a,b\n', 'data/données.txt': 'é\n', 'notes.log': 'x\n', 'a+b.txt': '', 'data.bin': 'text\n' }));
    assert.equal(result.decision, 'APPROVE', describeFindings(result));
  });

  it('refuses a missing entrypoint', async () => {
    assertFinding(await review(skill(RUN, { entrypoint: 'app.py' })), 'entrypoint-missing', null, 'manifest.yaml');
  });

  for (const [title, code] of [
    ['no def of the handler', 'def main(inp):\n    return 1\n'],
    ['a handler defined only under an if', 'if True:\n    def run(inp):\n        return 1\n'],
    ['a handler bound to a lambda', 'run = lambda inp: 1\n'],
    ['a handler nested in a class', 'class A:\n    def run(self, inp):\n        return 1\n'],
  ]) {
    it(`refuses ${title}`, async () => {
      assertFinding(await review(code as string), 'handler-missing', null);
    });
  }

  it('refuses an async handler, at its line', async () => {
    assertFinding(await review('async def run(inp):\n    return 1\n'), 'handler-missing', 1);
  });

  it('accepts a decorated handler and an NFKC-equal name', async () => {
    const code = 'import functools\n@functools.lru_cache\ndef ｒｕｎ(inp):\n    return 1\n';
    assert.equal((await review(code)).decision, 'APPROVE');
  });
});

describe('control layer: findings', () => {
  it('have the SPEC shape, 1-based lines and columns, and the severity of their rule', async () => {
    const result = await review('import os\ndef run(inp):\n    return eval("1") + 1\n');
    for (const f of result.findings) {
      assert.deepEqual(Object.keys(f).sort(), ['column', 'file', 'line', 'message', 'rule', 'severity']);
      assert.equal(f.severity, RULES[f.rule as keyof typeof RULES]);
    }
    const evalFinding = result.findings.find((f) => f.rule === 'dangerous-builtin');
    assert.deepEqual([evalFinding?.line, evalFinding?.column], [3, 12]);
  });

  it('are capped for a hostile skill, the decision taken over all of them', async () => {
    const result = await review('def run(inp):\n' + '    eval(1)\n'.repeat(500));
    assert.equal(result.decision, 'BLOCK');
    assert.equal(result.findings.length, 201);
    assert.equal(result.findings.at(-1)?.rule, 'findings-truncated');
  });

  it('every rule is documented in RULES.md with its severity', () => {
    const doc = readFileSync(new URL('../../../server/src/control/RULES.md', import.meta.url), 'utf8');
    for (const [rule, severity] of Object.entries(RULES)) {
      assert.match(doc, new RegExp(`\\| \`${rule}\` \\| ${severity} \\|`), `${rule} (${severity}) missing from RULES.md`);
    }
  });
});

describe('control layer: hostile sources are refused within bounds', () => {
  it('refuses brackets nested 100 000 deep before parsing', async () => {
    const result = await review(skill(RUN + 'x = ' + '('.repeat(100000) + ')'.repeat(100000) + '\n'));
    assertFinding(result, 'source-too-complex', 3);
  });

  it('refuses nesting that hides from the bracket count, at the tree depth cap', async () => {
    const code = RUN + '# ' + ')'.repeat(40000) + '\nx = ' + '('.repeat(40000) + ')'.repeat(40000) + '\n';
    const result = await review(skill(code));
    assert.ok(result.findings.some((f) => f.rule === 'source-too-complex'), describeFindings(result));
  });

  it('escalates a parse past the work budget with a finding, the same way every time, off the event loop', async () => {
    const big = RUN + 'x = [' + '1, '.repeat(60000) + ']\n';
    // Turns of this thread's event loop, counted as they happen (one setImmediate per turn), not as
    // time passes: a parse on this thread would leave it at 1 whatever the machine's speed or load.
    let turns = 0;
    let reviewing = true;
    const countTurn = (): void => {
      turns += 1;
      if (reviewing) setImmediate(countTurn);
    };
    setImmediate(countTurn);
    try {
      const decisions = await Promise.all([1, 2, 3].map(() => review(skill(big), { max_review_work: 100_000 })));
      for (const result of decisions) {
        assert.equal(result.decision, 'ESCALATE', describeFindings(result));
        assertFinding(result, 'review-budget', 1, 'main.py');
      }
    } finally {
      reviewing = false;
    }
    // The parse ran in a worker: this thread's loop kept turning meanwhile.
    assert.ok(turns >= 3, `the event loop turned ${turns} times`);
    assert.equal((await review(skill(big))).decision, 'APPROVE', 'within the default budget');
  });
});

describe('control layer: loading', () => {
  it('shares one loaded parser between control layers (loading twice would strand the first)', async () => {
    const { createControlLayer } = await import('../../server/src/control/index.js');
    const [first, second] = await Promise.all([createControlLayer(), createControlLayer()]);
    for (const control of [first, second, await controlLayer()]) {
      assert.equal((await control.review(skill(RUN), policy())).decision, 'APPROVE');
    }
  });
});

describe('control layer: digest', () => {
  it('is sha256 over the files in canonical order, and the review carries it', async () => {
    const control = await controlLayer();
    const files = { 'main.py': RUN, 'lib/a.py': 'A = 1\n' };
    const digest = control.digest(files);
    assert.match(digest, /^sha256:[0-9a-f]{64}$/);
    assert.equal(control.digest({ 'lib/a.py': 'A = 1\n', 'main.py': RUN }), digest);
    assert.equal((await review(skill(files))).digest, digest);
  });

  it('changes with any content, any path, and content moved between files', async () => {
    const control = await controlLayer();
    const base = control.digest({ 'a.py': 'x', 'b.py': '' });
    assert.notEqual(control.digest({ 'a.py': 'y', 'b.py': '' }), base);
    assert.notEqual(control.digest({ 'c.py': 'x', 'b.py': '' }), base);
    assert.notEqual(control.digest({ 'a.py': '', 'b.py': 'x' }), base);
  });
});
