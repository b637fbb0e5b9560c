// The only module that reads process.env: loads the YAML named by TOOL_EXECUTOR_CONFIG, validates it
// against contracts/config.json and fills in the embedded defaults. Everything else receives the
// resulting typed Config.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import type { Contract, Contracts } from '../contracts/index.js';
import { DEFAULT_SKILL_LIMITS } from '../skill-rules/index.js';
import { cidrProblem, parseOrigin, type EgressConfig } from '../egress/index.js';
import { ValidationError } from '../errors.js';

/** The configuration file as contracts/config.json describes it: every key optional. */
export type ConfigFile = Contract<'config.json'>;

/** Every key present (the defaults fill in what the file leaves out); arrays are taken whole. */
type Filled<T> = { [K in keyof T]-?: T[K] extends readonly unknown[] | undefined ? NonNullable<T[K]> : T[K] extends object | undefined ? Filled<NonNullable<T[K]>> : NonNullable<T[K]> };
type Defaulted = Filled<ConfigFile>;

/** The configuration in force: the file over the defaults. Only the keys with no default stay optional. */
export type Config = Omit<Defaulted, 'registry' | 'sandbox'> & {
  registry: Omit<Defaulted['registry'], 'preinstall'> & Pick<NonNullable<ConfigFile['registry']>, 'preinstall'>;
  sandbox: Omit<Defaulted['sandbox'], 'docker_socket'> & Pick<NonNullable<ConfigFile['sandbox']>, 'docker_socket'>;
};

/** Where the container engine listens when `sandbox.docker_socket` is not set. */
export const DEFAULT_DOCKER_SOCKET = '/var/run/docker.sock';

/** Resource limits with every field given (limit_policy.json's full limits). */
export type Limits = Contract<'limit_policy.json'>['defaults'];
export type KeyConfig = Config['auth']['keys'][number];
export type Role = KeyConfig['role'];
/** What the kernel filter in the runner grants beyond its default refusals (SPEC §4). */
export type Capability = Config['control']['allow_capabilities'][number];

/**
 * Pure modules a skill may import when the admin has not chosen a list (SPEC §4). The runner loads
 * them ahead in a warm container (PRELOADED in te_runtime/skill_process.py; test/engine/allowlist.test.ts).
 */
export const DEFAULT_ALLOW_IMPORTS = [
  'json', 'math', 'cmath', 'datetime', 're', 'string', 'textwrap', 'decimal', 'fractions', 'statistics',
  'random', 'itertools', 'functools', 'operator', 'collections', 'heapq', 'bisect', 'copy', 'enum',
  'dataclasses', 'typing', 'unicodedata', 'difflib', 'base64', 'binascii', 'hashlib', 'hmac', 'uuid',
  'calendar', 'zoneinfo', 'time', 'logging', 'net',
];

/**
 * The runner image by default. `RUNNER_IMAGE` (also read by scripts/build-runner-image.sh) lets two
 * checkouts on one engine build and test their own image side by side without replacing each other's.
 */
const DEFAULT_RUNNER_IMAGE = process.env.RUNNER_IMAGE || 'tool-executor-runner:latest';

export function defaultConfig(): Config {
  return {
    server: { host: '127.0.0.1', port: 8080, public_routes: ['/healthz', '/readyz', '/metrics', '/openapi.json'], body_limit_bytes: 1048576, auth_failures_per_minute: 30 },
    data_dir: './data',
    registry: { url: './data/registry' },
    auth: { keys: [] },
    sandbox: { image: DEFAULT_RUNNER_IMAGE, runtime: 'auto', pool: { size: 2 }, result_max_bytes: 1048576, result_max_depth: 128 },
    limits: {
      defaults: { timeout_ms: 30000, memory_mb: 256, cpus: 1, pids: 64, output_bytes: 1048576 },
      max: { timeout_ms: 120000, memory_mb: 1024, cpus: 2, pids: 256, output_bytes: 8388608 },
      concurrency: 8,
      queue: 64,
      queue_timeout_ms: 10000,
    },
    generator: { enabled: false, url: 'http://127.0.0.1:11434', model: 'qwen2.5-coder', auto_promote: false, timeout_ms: 60000 },
    control: { allow_imports: DEFAULT_ALLOW_IMPORTS, allow_builtins: [], allow_capabilities: [], max_files: 32, max_code_bytes: 262144, max_review_work: 2_000_000 },
    audit: { rotate_bytes: 64 * 1024 * 1024 },
    runs: { retention_ms: 24 * 3600 * 1000, callback_allow_cidrs: [], callback_attempts: 5, callback_backoff_ms: 1000, callback_timeout_ms: 10000 },
    store: { ...DEFAULT_SKILL_LIMITS },
    egress: { allow_cidrs: [], secrets: [], max_requests: 20, max_bytes: 10485760, timeout_ms: 10000 },
  };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Objects merge key by key; arrays and scalars from the file replace the default. */
function merge<T>(base: T, override: unknown): T {
  if (!isPlainObject(base) || !isPlainObject(override)) return (override === undefined ? base : override) as T;
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(override)) out[key] = merge(out[key], value);
  return out as T;
}

/** A configuration the service cannot start with; the message names each bad key and what it must be. */
export class ConfigError extends ValidationError {}

/** `/server/port` -> `server.port`; array items as `auth.keys[0].sha256`. */
function keyPath(pointer: string): string {
  const parts = pointer.split('/').slice(1).map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (parts.length === 0) return '(top level)';
  return parts.reduce((out, part) => (/^\d+$/.test(part) ? `${out}[${part}]` : out ? `${out}.${part}` : part), '');
}

function checkConfigFile(file: unknown, contracts: Contracts, source: string): ConfigFile {
  try {
    return contracts.assert('config.json', file ?? {}, 'configuration');
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    const problems = (error.details.errors as Array<{ path: string; message: string }> | undefined) ?? [];
    const described = problems.map((problem) => `${keyPath(problem.path)} ${problem.message}`);
    throw new ConfigError(`${source}: ${described.join('; ') || error.message}`, error.details);
  }
}

/** What the schema cannot say: CIDRs and secret origins the broker could not use. */
function checkEgress(egress: EgressConfig): void {
  const problems = [
    ...egress.allow_cidrs.map(cidrProblem),
    ...egress.secrets.map((secret) => {
      const origin = parseOrigin(secret.origin);
      return typeof origin === 'string' ? `egress.secrets: ${origin}` : null;
    }),
  ].filter((p): p is string => p !== null);
  if (problems.length > 0) throw new ValidationError(`configuration: ${problems.join('; ')}`, { problems });
}

/** Builds a Config from an already-parsed file (validated here) on top of the defaults. */
export function buildConfig(file: unknown, contracts: Contracts, baseDir = process.cwd(), source = 'configuration'): Config {
  const checked = checkConfigFile(file, contracts, source);
  const config = merge(defaultConfig(), checked);
  checkEgress(config.egress);
  config.data_dir = path.resolve(baseDir, config.data_dir);
  if (!/^https?:\/\//.test(config.registry.url)) config.registry.url = path.resolve(baseDir, config.registry.url);
  // The default registry lives in the data_dir, wherever the operator moved that.
  if (checked.registry?.url === undefined) config.registry.url = path.join(config.data_dir, 'registry');
  return config;
}

/** Reads TOOL_EXECUTOR_CONFIG (relative paths in it resolve against the file's folder), or serves the defaults. */
export function loadConfig(contracts: Contracts, env: NodeJS.ProcessEnv = process.env): { config: Config; source: string } {
  const file = env.TOOL_EXECUTOR_CONFIG;
  if (!file) return { config: buildConfig({}, contracts), source: 'embedded defaults' };
  const source = path.resolve(file);
  let parsed: unknown;
  try {
    parsed = YAML.parse(readFileSync(file, 'utf8'), { maxAliasCount: 100, customTags: [] });
  } catch (error) {
    // A missing file, or YAML that does not parse (its message names the line and column).
    throw new ConfigError(`${source} (TOOL_EXECUTOR_CONFIG): ${(error as Error).message.split('\n')[0]}`);
  }
  return { config: buildConfig(parsed, contracts, path.dirname(source), source), source };
}
