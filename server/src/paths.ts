import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// The compiled code runs from dist/server/src/, the sources from server/src/: find the project
// root by its package.json instead of counting `..`.
function findProjectRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('project root (package.json) not found above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
  return dir;
}

export const PROJECT_ROOT = findProjectRoot();
export const CONTRACTS_DIR = path.join(PROJECT_ROOT, 'contracts');
export const BUNDLED_SKILLS_DIR = path.join(PROJECT_ROOT, 'skills');
export const RUNNER_IMAGE_DIR = path.join(PROJECT_ROOT, 'runner-image');
/** The admin console as `npm run setup` builds it (scripts/build-ui.ts). */
export const CONSOLE_DIR = path.join(PROJECT_ROOT, 'dist', 'ui');

/** The service's version (package.json), as the OpenAPI document and the MCP server announce it. */
export function packageVersion(): string {
  return (JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
}
