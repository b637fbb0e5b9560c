// A skill as the service sees it (SPEC §2): its manifest and its files. Shared by the control layer,
// the store and the engine's callers; it imports nothing but the contracts' types.
import type { Contract } from './contracts/index.js';

/** A manifest.yaml, typed by contracts/manifest.json. */
export type Manifest = Contract<'manifest.json'>;

/** Relative path -> source text. Every file of the skill, the entrypoint among them. */
export type SkillFiles = Record<string, string>;

export interface SkillSource {
  manifest: Manifest;
  files: SkillFiles;
}

export const SKILL_NAME_PATTERN = /^[a-z][a-z0-9-]{0,62}$/;
