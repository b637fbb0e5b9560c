// A skill as the service sees it (SPEC §2): its manifest and its files. Shared by the control layer,
// the store and the engine's callers; it imports nothing.
import type { Limits } from './config/index.js';

export interface Manifest {
  name: string;
  version: string;
  description: string;
  runtime: 'python3';
  entrypoint: string;
  handler: string;
  input_schema?: object;
  output_schema?: object;
  limits?: Partial<Limits>;
  permissions?: { network?: string[] } & Record<string, unknown>;
  tags?: string[];
}

/** Relative path -> source text. Every file of the skill, the entrypoint among them. */
export type SkillFiles = Record<string, string>;

export interface SkillSource {
  manifest: Manifest;
  files: SkillFiles;
}

export const SKILL_NAME_PATTERN = /^[a-z][a-z0-9-]{0,62}$/;
