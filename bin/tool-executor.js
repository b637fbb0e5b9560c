#!/usr/bin/env node
// `npx tool-executor keys …`: the compiled command line (scripts/cli.ts); `npm run build` makes it.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../dist/scripts/cli.js', import.meta.url));
if (!existsSync(cli)) {
  process.stderr.write(`tool-executor: ${cli} is missing; build first (npm run build or npm run setup)\n`);
  process.exit(2);
}
await import(cli);
