// Builds the admin console (ui/) into dist/ui/: one bundled, minified script, its stylesheet and icon,
// beside index.html, so the service serves /ui with no CDN, no outside font and no inline script.
// Called by `npm run setup`; quick when nothing changed (esbuild takes well under a second).
import { copyFile, mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { build } from 'esbuild';
import { CONSOLE_DIR, PROJECT_ROOT } from '../server/src/paths.js';

const source = path.join(PROJECT_ROOT, 'ui');

async function main(): Promise<void> {
  await rm(CONSOLE_DIR, { recursive: true, force: true });
  await mkdir(path.join(CONSOLE_DIR, 'assets'), { recursive: true });
  await build({
    entryPoints: [path.join(source, 'src', 'main.tsx')],
    outfile: path.join(CONSOLE_DIR, 'assets', 'console.js'),
    bundle: true,
    minify: true,
    format: 'esm',
    target: 'es2022',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    legalComments: 'linked',
    logLevel: 'warning',
  });
  await copyFile(path.join(source, 'index.html'), path.join(CONSOLE_DIR, 'index.html'));
  for (const asset of ['console.css', 'favicon.svg']) await copyFile(path.join(source, asset), path.join(CONSOLE_DIR, 'assets', asset));
}

await main();
