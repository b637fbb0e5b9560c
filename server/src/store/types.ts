// The store's vocabulary (SPEC §7): installed.json is the registry of skills and their status;
// active skills live under skills/<name>/<version>/, the rest under skills/_drafts/<name>/<version>/.
import type { ControlPolicy, Review } from '../control/index.js';
import type { Manifest, SkillFiles, SkillSource } from '../skill.js';

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
  /** The network origins an admin approved with the escalation: exactly the manifest's list then. */
  approved_network?: string[];
  created_at: string;
  updated_at: string;
  /** The key id that created, installed or generated it; null for bundled skills. Absent in records written before it was kept. */
  created_by?: string | null;
  /** An admin's decision on an escalation (POST /v1/reviews/{id}/approve or /reject), with the reason given. */
  review_decision?: ReviewDecision;
}

export interface ReviewDecision {
  verdict: 'approve' | 'reject';
  reason: string | null;
  /** The deciding key's id. */
  actor: string | null;
  decided_at: string;
}

/** What an admin's decision on an escalation adds to a record: the decision with its reason, and on approval the origins granted. */
export type DecisionFacts = Pick<SkillRecord, 'approved_network' | 'review_decision'>;

export interface StoredSkill extends SkillSource {
  record: SkillRecord;
}

/** What the store needs of the control layer (the ControlLayer satisfies it): preinstalls are reviewed. */
export interface SkillReviewer {
  review(skill: SkillSource, policy: ControlPolicy): Promise<Review>;
  digest(files: SkillFiles): string;
}

/** A skill checked against the package rules and written to a staging folder, not yet in place. */
export interface StagedSkill extends SkillSource {
  /** Removes the staging folder; a no-op once committed. */
  discard(): Promise<void>;
}

export interface CommitMeta {
  status: SkillStatus;
  origin: SkillOrigin;
  digest: string;
  review: Review;
  /** The caller's key id (null for bundled skills). */
  created_by?: string | null;
}

export interface SkillStore {
  list(): SkillRecord[];
  /** The record of `name` at `version`, or the highest version by semver when none is given. */
  find(name: string, version?: string): SkillRecord | undefined;
  /** Reads the manifest and files of a record from disk. */
  read(record: SkillRecord): Promise<StoredSkill>;
  /** Checks a skill given as text against the package rules (400 naming the rule) and writes it to a staging folder. */
  stage(source: SkillSource): Promise<StagedSkill>;
  /** Moves a staged, reviewed skill into place and records it; 409 if that version exists (the staging is discarded). */
  commit(staged: StagedSkill, meta: CommitMeta): Promise<SkillRecord>;
  /** stage + commit: stores a reviewed skill atomically (files and installed.json together). 409 if that version exists. */
  add(source: SkillSource, meta: CommitMeta): Promise<SkillRecord>;
  /** Moves a skill between draft/pending and active (or blocked); an admin's decision (and the origins an approval grants) is kept with the record. */
  setStatus(name: string, version: string, status: SkillStatus, decided?: DecisionFacts): Promise<SkillRecord>;
  /** Removes every version of `name`, or one; returns what was removed. */
  remove(name: string, version?: string): Promise<Array<{ name: string; version: string }>>;
  /** Calls `onChange` after every change of the records (a skill stored, moved or removed); returns the unsubscribe. */
  watch(onChange: () => void): () => void;
  close(): Promise<void>;
}

export type { Manifest };
