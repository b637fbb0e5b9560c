// The control layer (SPEC §4): static review of a skill's files and manifest against the admin's
// policy. Pure: no I/O but loading its parser, once. The rules and their ids are in RULES.md.
import type { SkillFiles, SkillSource } from '../skill.js';
import { PythonParser } from './parse.js';
import { digestFiles, reviewSkill } from './review.js';
import type { ControlPolicy, Review } from './types.js';

export interface ControlLayer {
  /** Decision BLOCK > ESCALATE > WARN > APPROVE over every finding, with the digest of the files reviewed. */
  review(skill: SkillSource, policy: ControlPolicy): Promise<Review>;
  /** "sha256:<hex>" over the files in canonical order: a run refuses files whose digest is not the reviewed one. */
  digest(files: SkillFiles): string;
}

export async function createControlLayer(): Promise<ControlLayer> {
  const parser = await PythonParser.load();
  return {
    review: (skill, policy) => reviewSkill(parser, skill, policy),
    digest: digestFiles,
  };
}

export { RULES, type RuleId } from './rules.js';
export type { ControlPolicy, Decision, Finding, Review, Severity } from './types.js';
