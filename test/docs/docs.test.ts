// The README and docs/ stand alone: every link stays inside the repository and finds its file,
// every route of the API is in docs/api.md, and every configuration key in docs/configuration.md.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { loadConfig } from '../../server/src/config/index.js';
import { loadContracts } from '../../server/src/contracts/index.js';
import { API_ROUTES } from '../../server/src/http/api.js';
import { CONTRACTS_DIR, PROJECT_ROOT } from '../../server/src/paths.js';

const DOCS = path.join(PROJECT_ROOT, 'docs');

async function pages(): Promise<string[]> {
  const docs = (await readdir(DOCS)).filter((name) => name.endsWith('.md')).map((name) => path.join(DOCS, name));
  return [path.join(PROJECT_ROOT, 'README.md'), ...docs];
}

/** Leaf keys of the configuration schema as dotted paths; `limits.defaults` and `limits.max` are leaves. */
function configKeys(schema: { properties?: Record<string, unknown> }, prefix = ''): string[] {
  const keys: string[] = [];
  for (const [name, sub] of Object.entries(schema.properties ?? {})) {
    const key = prefix ? `${prefix}.${name}` : name;
    const child = sub as { properties?: Record<string, unknown>; $ref?: string };
    if (child.properties) keys.push(...configKeys(child, key));
    else keys.push(key);
  }
  return keys;
}

describe('documentation in the repository', () => {
  it('links only to files inside the repository that exist', async () => {
    const problems: string[] = [];
    for (const page of await pages()) {
      const text = await readFile(page, 'utf8');
      for (const match of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        const target = match[1]!;
        const where = `${path.relative(PROJECT_ROOT, page)} -> ${target}`;
        if (/^[a-z]+:/i.test(target) || target.startsWith('/')) {
          problems.push(`${where}: leaves the repository`);
          continue;
        }
        const file = target.split('#')[0]!;
        if (file === '') continue;
        const resolved = path.resolve(path.dirname(page), file);
        if (path.relative(PROJECT_ROOT, resolved).startsWith('..')) problems.push(`${where}: outside the repository`);
        else if (!existsSync(resolved)) problems.push(`${where}: no such file`);
      }
    }
    assert.deepEqual(problems, []);
  });

  it('lists every route of the API in docs/api.md', async () => {
    const doc = await readFile(path.join(DOCS, 'api.md'), 'utf8');
    const missing = API_ROUTES.filter((route) => !doc.includes(`\`${route.method} ${route.path}\``)).map((route) => `${route.method} ${route.path}`);
    assert.deepEqual(missing, []);
  });

  it('describes every configuration key in docs/configuration.md', async () => {
    const doc = await readFile(path.join(DOCS, 'configuration.md'), 'utf8');
    const schema = JSON.parse(await readFile(path.join(CONTRACTS_DIR, 'config.json'), 'utf8')) as { properties: Record<string, unknown> };
    const keys = configKeys(schema);
    assert.ok(keys.includes('server.port') && keys.includes('auth.keys'));
    assert.deepEqual(keys.filter((key) => !doc.includes(`\`${key}\``)), []);
  });

  it('ships deploy/config.yaml as a configuration that loads, with its auth block', () => {
    const { config } = loadConfig(loadContracts(), { TOOL_EXECUTOR_CONFIG: path.join(PROJECT_ROOT, 'deploy', 'config.yaml') });
    assert.equal(config.auth.keys.length, 1);
    assert.equal(config.auth.keys[0]!.role, 'admin');
    assert.equal(config.data_dir, '/var/lib/tool-executor');
  });
});
