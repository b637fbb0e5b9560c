// The policy in force: limits and control settings from the configuration, overridden by what an
// admin changed at run time (persisted in <data_dir>/policy.json so a restart keeps it).
import { createHash } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../config/index.js';
import type { Contract, Contracts } from '../contracts/index.js';
import type { ControlPolicy } from '../control/index.js';
import { ValidationError } from '../errors.js';
import { writeFileAtomic } from '../durable/index.js';

export type LimitPolicy = Contract<'limit_policy.json'>;

export const LIMIT_KEYS = ['timeout_ms', 'memory_mb', 'cpus', 'pids', 'output_bytes'] as const;

export class PolicyState {
  private constructor(
    private limitPolicy: LimitPolicy,
    private readonly control: Config['control'],
    private readonly file: string,
  ) {}

  static async load(config: Config, contracts: Contracts): Promise<PolicyState> {
    const file = path.join(config.data_dir, 'policy.json');
    let limits: LimitPolicy = structuredClone(config.limits);
    try {
      const saved = JSON.parse(await readFile(file, 'utf8')) as unknown;
      limits = contracts.assert('limit_policy.json', saved, `saved limit policy ${file}`);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    return new PolicyState(limits, config.control, file);
  }

  get limits(): LimitPolicy {
    return this.limitPolicy;
  }

  controlPolicy(): ControlPolicy {
    return { ...this.control, max_limits: this.limitPolicy.max };
  }

  /** Refuses a limit policy (already validated against its contract) whose defaults exceed its maxima. */
  static check(next: LimitPolicy): void {
    for (const key of LIMIT_KEYS) {
      if (next.defaults[key] > next.max[key]) {
        throw new ValidationError(`defaults.${key} (${next.defaults[key]}) is above max.${key} (${next.max[key]})`, { field: `defaults.${key}` });
      }
    }
  }

  /** Replaces the limit policy (already validated against its contract) and persists it. */
  async setLimits(next: LimitPolicy): Promise<void> {
    PolicyState.check(next);
    await mkdir(path.dirname(this.file), { recursive: true });
    await writeFileAtomic(this.file, JSON.stringify(next, null, 2) + '\n');
    this.limitPolicy = structuredClone(next);
  }
}

/** A digest of a limit policy that does not depend on the order of its keys: what an audit intent names. */
export function limitsDigest(limits: LimitPolicy): string {
  const sorted = (value: unknown): unknown => (typeof value === 'object' && value !== null
    ? Object.fromEntries(Object.keys(value).sort().map((key) => [key, sorted((value as Record<string, unknown>)[key])]))
    : value);
  return createHash('sha256').update(JSON.stringify(sorted(limits))).digest('hex');
}
