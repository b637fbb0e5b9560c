// The store's vocabulary (SPEC §7): installed.json is the registry of skills and their status;
// active skills live under skills/<name>/<version>/, the rest under skills/_drafts/<name>/<version>/.
import type { Review } from '../control/types.js';
import type { Manifest, SkillSource } from '../skill.js';

// `blocked`: an escalation an admin rejected; kept for the record, never runs.
export type SkillStatus = 'draft' | 'pending_review' | 'active' | 'blocked';
export type SkillOrigin = 'bundled' | 'create' | 'install' | 'upload' | 'generate';

export interface SkillRecord {
  name: string;
  version: string;
  status: SkillStatus;
  description: string;
  tags: string[];
  origin: SkillOrigin;
  /** sha256 over the files as reviewed; a run whose files differ does not start. */
  digest: string;
  review: Review;
  created_at: string;
  updated_at: string;
}

export interface StoredSkill extends SkillSource {
  record: SkillRecord;
}

export interface SkillStore {
  list(): SkillRecord[];
  /** The record of `name` at `version`, or the highest version by semver when none is given. */
  find(name: string, version?: string): SkillRecord | undefined;
  /** Reads the manifest and files of a record from disk. */
  read(record: SkillRecord): Promise<StoredSkill>;
  /** Stores a reviewed skill atomically (files and installed.json together). 409 if that version exists. */
  add(source: SkillSource, meta: { status: SkillStatus; origin: SkillOrigin; digest: string; review: Review }): Promise<SkillRecord>;
  /** Moves a skill between draft/pending and active. */
  setStatus(name: string, version: string, status: SkillStatus): Promise<SkillRecord>;
  /** Removes every version of `name`, or one; returns what was removed. */
  remove(name: string, version?: string): Promise<Array<{ name: string; version: string }>>;
  close(): Promise<void>;
}

export type { Manifest };
