// The OpenAPI document as its users meet it: Redocly's lint finds no error, the contract types the
// server compiles against are generated from the current document, the suite's response check can
// fail, and a client generated with openapi-typescript + openapi-fetch compiles under strict tsc and
// creates, promotes and runs a skill against a real server.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { PROJECT_ROOT } from '../../server/src/paths.js';
import { CONTRACT_TYPES_FILE, TOOLS_BIN, currentContractTypes } from '../../scripts/contract-types.js';
import { freePort } from '../../scripts/lib/free-port.js';
import { responseProblem } from '../helpers/response-check.js';
import { startTestService, type TestService } from '../helpers/service.js';

const run = promisify(execFile);

/** The program a user would write against the generated client: create, promote, run. */
const CLIENT_PROGRAM = `import createClient from 'openapi-fetch';
import type { paths } from './api.js';
import { AUTHOR_KEY, ADMIN_KEY, BASE_URL, CLIENT_KEY } from './settings.js';

const api = createClient<paths>({ baseUrl: BASE_URL });
const as = (key: string) => ({ Authorization: 'Bearer ' + key });

const created = await api.POST('/v1/skills/create', {
  headers: as(AUTHOR_KEY),
  body: {
    name: 'shout', version: '1.0.0', description: 'Upper-cases a text', runtime: 'python3',
    entrypoint: 'main.py', handler: 'run',
    input_schema: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] },
    output_schema: { type: 'object', properties: { shout: { type: 'string' } } },
    code: 'def run(inp):\\n    return {"shout": inp["text"].upper()}\\n',
  },
});
if (!created.data) throw new Error('create failed: ' + JSON.stringify(created.error));
const draft: 'draft' | 'pending_review' | 'active' | 'blocked' = created.data.skill.status;

const promoted = await api.POST('/v1/skills/promote', { headers: as(ADMIN_KEY), body: { name: 'shout', version: '1.0.0' } });
if (!promoted.data) throw new Error('promote failed: ' + JSON.stringify(promoted.error));

const ran = await api.POST('/v1/skills/run', { headers: as(CLIENT_KEY), body: { skill: 'shout', input: { text: 'hello' } } });
if (ran.response.status !== 200 || !ran.data || !('run_id' in ran.data)) throw new Error('run failed: ' + JSON.stringify(ran.error));
const durationMs: number = ran.data.duration_ms;
console.log(JSON.stringify({ created: draft, promoted: promoted.data.skill.status, status: ran.data.status, result: ran.data.result, timed: durationMs >= 0 }));
`;

const CLIENT_TSCONFIG = {
  compilerOptions: {
    target: 'es2022', module: 'nodenext', moduleResolution: 'nodenext', strict: true, noUncheckedIndexedAccess: true,
    exactOptionalPropertyTypes: true, lib: ['es2022', 'dom'], types: [], outDir: 'out', skipLibCheck: false,
  },
  include: ['*.ts'],
};

describe('OpenAPI document for real clients', () => {
  let t: TestService;
  let baseUrl: string;

  before(async () => {
    const port = await freePort();
    t = await startTestService({ server: { host: '127.0.0.1', port } });
    await t.service.listen();
    baseUrl = `http://127.0.0.1:${port}`;
  });
  after(async () => {
    await t?.close();
  });

  async function servedDocument(dir: string): Promise<string> {
    const res = await fetch(`${baseUrl}/openapi.json`);
    assert.equal(res.status, 200);
    const file = path.join(dir, 'openapi.json');
    await writeFile(file, await res.text());
    return file;
  }

  it('passes Redocly lint with no error', async () => {
    const dir = await mkdtemp(path.join(PROJECT_ROOT, 'tools', '.lint-'));
    try {
      const file = await servedDocument(dir);
      const { stdout, stderr } = await run(path.join(TOOLS_BIN, 'redocly'), ['lint', file, '--format=summary'], { cwd: dir })
        .catch((error: { stdout: string; stderr: string }) => assert.fail(`redocly lint found errors:\n${error.stdout}\n${error.stderr}`));
      assert.doesNotMatch(`${stdout}${stderr}`, /\berror\b/i);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('is what the server compiles against (server/src/contracts/types.gen.ts is current)', async () => {
    const committed = await readFile(CONTRACT_TYPES_FILE, 'utf8');
    assert.ok(committed === (await currentContractTypes()), 'types.gen.ts is stale: npm run contract-types');
  });

  it('holds the suite to it: a response that drifts from the document is reported', () => {
    const req = { method: 'GET', path: '/v1/skills' };
    assert.equal(responseProblem({ status: 200, type: 'application/json', body: { skills: [] }, req }), undefined);
    assert.match(responseProblem({ status: 200, type: 'application/json', body: { skills: [{ name: 'x' }] }, req }) ?? '', /does not match/);
    assert.match(responseProblem({ status: 201, type: 'application/json', body: {}, req }) ?? '', /not documented/);
    assert.match(responseProblem({ status: 200, type: 'application/x-ndjson', text: '{"type":"log","stream":"stdout","data":1}\n', body: {}, req: { method: 'POST', path: '/v1/skills/run' } }) ?? '', /NDJSON line/);
  });

  it('generates a typed client that compiles under strict tsc and creates, promotes and runs a skill', async () => {
    // Inside tools/, so the program finds openapi-fetch in tools/node_modules.
    const dir = await mkdtemp(path.join(PROJECT_ROOT, 'tools', '.client-'));
    try {
      const document = await servedDocument(dir);
      await run(path.join(TOOLS_BIN, 'openapi-typescript'), [document, '-o', path.join(dir, 'api.ts')]);
      await writeFile(path.join(dir, 'settings.ts'), [
        `export const BASE_URL = ${JSON.stringify(baseUrl)};`,
        ...(['client', 'author', 'admin'] as const).map((role) => `export const ${role.toUpperCase()}_KEY = ${JSON.stringify(t.keys[role])};`),
      ].join('\n') + '\n');
      await writeFile(path.join(dir, 'main.ts'), CLIENT_PROGRAM);
      await writeFile(path.join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
      await writeFile(path.join(dir, 'tsconfig.json'), JSON.stringify(CLIENT_TSCONFIG));
      await mkdir(path.join(dir, 'out'));
      await run(path.join(PROJECT_ROOT, 'node_modules/.bin/tsc'), ['-p', dir])
        .catch((error: { stdout: string }) => assert.fail(`the generated client does not compile:\n${error.stdout}`));
      const { stdout } = await run(process.execPath, [path.join(dir, 'out', 'main.js')]);
      assert.deepEqual(JSON.parse(stdout), { created: 'draft', promoted: 'active', status: 'succeeded', result: { shout: 'HELLO' }, timed: true });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
