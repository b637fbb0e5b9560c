// typescript-eslint over the whole tree (tools/eslint.config.js): no problem anywhere, and the flow's
// import rules do catch what they are for.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { PROJECT_ROOT } from '../../server/src/paths.js';

const ESLINT = path.join(PROJECT_ROOT, 'tools/node_modules/.bin/eslint');
const CONFIG = path.join(PROJECT_ROOT, 'tools/eslint.config.js');

interface LintResult { messages: Array<{ ruleId: string | null; message: string; line: number }>; filePath: string }

/** Lints `args` (files, or --stdin); resolves with the results, whatever they hold. */
async function lint(args: string[], stdin?: string): Promise<LintResult[]> {
  const child = execFile(ESLINT, ['-c', CONFIG, '--format', 'json', ...args], { cwd: PROJECT_ROOT, maxBuffer: 64 * 1024 * 1024 });
  if (stdin !== undefined) child.stdin!.end(stdin);
  const output = await new Promise<string>((resolve) => {
    let text = '';
    child.stdout!.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
    child.on('close', () => resolve(text));
  });
  return JSON.parse(output) as LintResult[];
}

const lintSource = (file: string, source: string) => lint(['--stdin', '--stdin-filename', file], source);

describe('lint (typescript-eslint)', function () {
  this.timeout(180_000);

  it('finds no problem in the server, the tests or the scripts', async () => {
    const results = await lint(['server/src', 'test', 'scripts']);
    const problems = results.flatMap((r) => r.messages.map((m) => `${path.relative(PROJECT_ROOT, r.filePath)}:${m.line} ${m.ruleId}: ${m.message}`));
    assert.deepEqual(problems, []);
  });

  it('refuses an import of http/ from store/ or engine/', async () => {
    for (const file of ['server/src/store/example.ts', 'server/src/engine/docker/example.ts']) {
      const up = file.includes('docker') ? '../../' : '../';
      const [result] = await lintSource(file, `import { API_ROUTES } from '${up}http/index.js';\nexport const routes = API_ROUTES;\n`);
      assert.ok(result!.messages.some((m) => m.ruleId === 'no-restricted-imports' && /flow goes one way/.test(m.message)), JSON.stringify(result!.messages));
    }
  });

  it("refuses an import of another folder's inner file, and takes its index.ts", async () => {
    const [inner] = await lintSource('server/src/http/example.ts', "import type { AuditLog } from '../audit/writer.js';\nexport type Log = AuditLog;\n");
    assert.ok(inner!.messages.some((m) => m.ruleId === 'no-restricted-imports' && /index\.ts/.test(m.message)), JSON.stringify(inner!.messages));
    const [top] = await lintSource('server/src/example.ts', "import type { AuditLog } from './audit/writer.js';\nexport type Log = AuditLog;\n");
    assert.ok(top!.messages.some((m) => m.ruleId === 'no-restricted-imports'), JSON.stringify(top!.messages));
    const [through] = await lintSource('server/src/http/example.ts', "import type { AuditLog } from '../audit/index.js';\nexport type Log = AuditLog;\n");
    assert.deepEqual(through!.messages, []);
  });
});
