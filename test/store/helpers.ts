// A store on a temporary data_dir with a stand-in control layer: the store's behaviour does not
// depend on what the analysis decides, only on the decision it is handed.
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import winston from 'winston';
import { DEFAULT_ALLOW_IMPORTS } from '../../server/src/config/index.js';
import { DEFAULT_SKILL_LIMITS } from '../../server/src/skill-rules/index.js';
import { loadContracts } from '../../server/src/contracts/index.js';
import type { Decision, Review } from '../../server/src/control/types.js';
import type { SkillFiles, SkillSource } from '../../server/src/skill.js';
import { openSkillStore, type SkillReviewer, type SkillStore } from '../../server/src/store/index.js';

export const contracts = loadContracts();
export const quietLogger = winston.createLogger({ level: 'error', silent: true, transports: [new winston.transports.Console()] });

export function digestOf(files: SkillFiles): string {
  const hash = createHash('sha256');
  for (const name of Object.keys(files).sort()) hash.update(`${name}\0${files[name]}\0`);
  return `sha256:${hash.digest('hex')}`;
}

export function standInControl(decision: Decision = 'APPROVE'): SkillReviewer {
  return {
    async review(): Promise<Review> {
      return { decision, findings: [] };
    },
    digest: digestOf,
  };
}

export const policy = {
  controlPolicy: () => ({
    allow_imports: DEFAULT_ALLOW_IMPORTS,
    allow_builtins: [],
    allow_capabilities: [],
    max_files: 32,
    max_code_bytes: 262144,
    max_limits: { timeout_ms: 120000, memory_mb: 1024, cpus: 2, pids: 256, output_bytes: 8388608 },
  }),
};

export async function tempDataDir(): Promise<string> {
  return mkdtemp(path.join(tmpdir(), 'te-store-'));
}

/** `preinstall`: the names, or 'all' for the default (every bundled skill). */
export function openTestStore(dataDir: string, preinstall: string[] | 'all' = [], control = standInControl()): Promise<SkillStore> {
  return openSkillStore({
    config: { data_dir: dataDir, registry: { url: path.join(dataDir, 'registry'), ...(preinstall === 'all' ? {} : { preinstall }) }, store: DEFAULT_SKILL_LIMITS },
    contracts,
    control,
    policy,
    logger: quietLogger,
  });
}

export function sampleSkill(name: string, version = '1.0.0', extra: SkillFiles = {}): SkillSource {
  return {
    manifest: { name, version, description: `sample ${name}`, runtime: 'python3', entrypoint: 'main.py', handler: 'run', tags: ['sample'] },
    files: { 'main.py': 'def run(inp):\n    return {"ok": True}\n', ...extra },
  };
}

export const meta = (status: 'draft' | 'active' | 'pending_review' = 'draft', source?: SkillSource) => ({
  status,
  origin: 'create' as const,
  digest: source ? digestOf(source.files) : 'sha256:test',
  review: { decision: 'APPROVE' as const, findings: [] },
});

/** Every path under `root` with its kind, size and mode: a snapshot to compare before and after. */
export async function snapshotTree(root: string): Promise<string[]> {
  const lines: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const entry of (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(dir, entry.name);
      const info = await stat(full);
      const relative = path.relative(root, full);
      if (entry.isDirectory()) {
        lines.push(`d ${relative}`);
        await walk(full);
      } else {
        lines.push(`f ${relative} ${info.size} ${createHash('sha256').update(await readFile(full)).digest('hex').slice(0, 12)}`);
      }
    }
  };
  await walk(root);
  return lines;
}
