// The bundled skills (the project's skills/ folder) that a new data_dir starts with (SPEC §8):
// `registry.preinstall` names them (default: every one). Each is read under the package rules and
// reviewed like any other skill; one the control layer would not let run is left out, loudly.
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'winston';
import type { Config } from '../config/index.js';
import type { Contracts } from '../contracts/index.js';
import type { ControlPolicy } from '../control/index.js';
import { BUNDLED_SKILLS_DIR } from '../paths.js';
import { SKILL_NAME_PATTERN } from '../skill.js';
import { exists, moveFolder, readSkillFolder, writeSkillFolder } from './files.js';
import type { StoreLayout } from './layout.js';
import { MANIFEST_FILE } from '../skill-rules/index.js';
import type { SkillRecord, SkillReviewer } from './types.js';

export interface PreinstallDeps {
  config: Pick<Config, 'registry' | 'store'>;
  contracts: Contracts;
  control: SkillReviewer;
  policy: { controlPolicy(): ControlPolicy };
  logger: Logger;
  layout: StoreLayout;
  bundledDir?: string;
}

/** Names of the skill folders in `dir` (those holding a manifest.yaml), sorted. */
export async function bundledSkillNames(dir: string = BUNDLED_SKILLS_DIR): Promise<string[]> {
  const names: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    if (entry.isDirectory() && SKILL_NAME_PATTERN.test(entry.name) && (await exists(path.join(dir, entry.name, MANIFEST_FILE)))) names.push(entry.name);
  }
  return names.sort();
}

/** Puts the selected bundled skills in place as active skills; returns their records for installed.json. */
export async function preinstallBundled(deps: PreinstallDeps): Promise<SkillRecord[]> {
  const { layout, logger } = deps;
  const dir = deps.bundledDir ?? BUNDLED_SKILLS_DIR;
  const available = await bundledSkillNames(dir);
  const wanted = deps.config.registry.preinstall ?? available;
  const policy = deps.policy.controlPolicy();
  const records: SkillRecord[] = [];
  for (const name of wanted) {
    if (!available.includes(name)) {
      logger.warn('store: registry.preinstall names a skill that is not bundled', { skill: name, bundled: available });
      continue;
    }
    const source = await readSkillFolder(path.join(dir, name), { contracts: deps.contracts, allowImports: policy.allow_imports, limits: deps.config.store, skipBytecodeCaches: true });
    if (source.manifest.name !== name) {
      logger.warn('store: bundled skill folder and manifest name differ; not preinstalled', { folder: name, manifest: source.manifest.name });
      continue;
    }
    const review = await deps.control.review(source, policy);
    if (review.decision === 'BLOCK' || review.decision === 'ESCALATE') {
      logger.warn('store: bundled skill not preinstalled: the control layer does not let it run', { skill: name, decision: review.decision, findings: review.findings });
      continue;
    }
    const staging = layout.temporary('stage');
    await writeSkillFolder(staging, source);
    await moveFolder(staging, layout.folderOf(name, source.manifest.version, 'active'));
    const now = new Date().toISOString();
    records.push({
      name, version: source.manifest.version, status: 'active', description: source.manifest.description, tags: source.manifest.tags ?? [],
      origin: 'bundled', digest: deps.control.digest(source.files), review, created_at: now, updated_at: now,
    });
    logger.info('store: preinstalled a bundled skill', { skill: name, version: source.manifest.version, decision: review.decision });
  }
  return records;
}
