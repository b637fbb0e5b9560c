// Shared by the control-layer tests: one control layer for the whole run (the parser loads once, as
// in the service), a policy like the embedded defaults, and skills written as indented Python.
import assert from 'node:assert/strict';
import { DEFAULT_ALLOW_IMPORTS } from '../../server/src/config/index.js';
import { createControlLayer, type ControlLayer } from '../../server/src/control/index.js';
import type { ControlPolicy, Review } from '../../server/src/control/types.js';
import type { Manifest, SkillFiles, SkillSource } from '../../server/src/skill.js';

let shared: Promise<ControlLayer> | null = null;

export function controlLayer(): Promise<ControlLayer> {
  shared ??= createControlLayer();
  return shared;
}

export function policy(overrides: Partial<ControlPolicy> = {}): ControlPolicy {
  return {
    allow_imports: DEFAULT_ALLOW_IMPORTS,
    allow_builtins: [],
    allow_capabilities: [],
    max_files: 32,
    max_code_bytes: 262144,
    max_limits: { timeout_ms: 120000, memory_mb: 1024, cpus: 2, pids: 256, output_bytes: 8388608 },
    ...overrides,
  };
}

/**
 * Python source from an indented template: the common indentation and the first empty line go, and
 * backslashes stay as written (`'\x5f'` reaches Python as an escape). Line 1 is the first line of code.
 */
export function py(strings: TemplateStringsArray, ...values: unknown[]): string {
  const lines = String.raw({ raw: strings.raw }, ...values).replace(/^\n/, '').split('\n');
  const indents = lines.filter((l) => l.trim() !== '').map((l) => (/^ */.exec(l) as RegExpExecArray)[0].length);
  const common = Math.min(...indents);
  return lines.map((l) => l.slice(common)).join('\n').replace(/\s*$/, '\n');
}

export function skill(files: SkillFiles | string, manifest: Partial<Manifest> = {}): SkillSource {
  return {
    manifest: {
      name: 'corpus', version: '1.0.0', description: 'a test skill', runtime: 'python3', entrypoint: 'main.py', handler: 'run',
      ...manifest,
    },
    files: typeof files === 'string' ? { 'main.py': files } : files,
  };
}

export async function review(source: SkillSource | string, overrides: Partial<ControlPolicy> = {}): Promise<Review> {
  const control = await controlLayer();
  return control.review(typeof source === 'string' ? skill(source) : source, policy(overrides));
}

export function describeFindings(result: Review): string {
  return result.findings.map((f) => `${f.rule} ${f.file}:${f.line}:${f.column} ${f.message}`).join('\n') || '(no findings)';
}

/** The review holds a finding of `rule` at `file`:`line`. */
export function assertFinding(result: Review, rule: string, line: number | null, file: string | null = 'main.py'): void {
  const hit = result.findings.some((f) => f.rule === rule && f.line === line && f.file === file);
  assert.ok(hit, `expected ${rule} at ${file}:${line}, got:\n${describeFindings(result)}`);
}
