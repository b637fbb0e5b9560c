// Adds one runtime to Docker's daemon.json, keeping every other key as it is. Plain JavaScript, not
// TypeScript: setup runs it before the build. Used by lib/gvisor.sh.
//
// Usage: node daemon-json.mjs <daemon.json> <runtime name> <runtime path> [runtime arg ...]
// Prints `added` or `present` (an entry of that name is kept as its owner wrote it). Exits 2,
// with the file untouched, when it is not a JSON object or `runtimes` is not one.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';

const [file, name, runtimePath, ...runtimeArgs] = process.argv.slice(2);
if (!file || !name || !runtimePath) {
  console.error('usage: daemon-json.mjs <daemon.json> <runtime name> <runtime path> [runtime arg ...]');
  process.exit(64);
}

const isObject = (value) => typeof value === 'object' && value !== null && !Array.isArray(value);

function readConfig() {
  let text;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if (error.code === 'ENOENT') return {};
    throw error;
  }
  if (text.trim() === '') return {};
  let parsed;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    refuse(`${file} is not valid JSON (${error.message})`);
  }
  if (!isObject(parsed)) refuse(`${file} does not hold a JSON object`);
  if (parsed.runtimes !== undefined && !isObject(parsed.runtimes)) refuse(`"runtimes" in ${file} is not an object`);
  return parsed;
}

function refuse(message) {
  console.error(`${message}; left unchanged`);
  process.exit(2);
}

const config = readConfig();
if (config.runtimes?.[name] !== undefined) {
  console.log('present');
} else {
  config.runtimes = { ...config.runtimes, [name]: { path: runtimePath, runtimeArgs } };
  // Written beside the file and renamed over it: dockerd never reads half a file.
  const temporary = `${file}.tool-executor.tmp`;
  writeFileSync(temporary, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o644 });
  renameSync(temporary, file);
  console.log('added');
}
