// Reviews remembered by what decides them: the files (their digest), the manifest and the policy.
// A run of an unchanged skill under an unchanged policy takes the decision from here; a change of any
// of the three is a new key, so a stale decision is never served.
import { createHash } from 'node:crypto';
import type { SkillSource } from '../skill.js';
import type { ControlPolicy, Review } from './types.js';

const MAX_ENTRIES = 1000;

export class ReviewCache {
  private readonly entries = new Map<string, Review>();

  /** The key of a review: sha256 over the policy, the manifest and the files' digest. */
  static keyOf(skill: SkillSource, filesDigest: string, policy: ControlPolicy): string {
    return createHash('sha256').update(JSON.stringify([policy, skill.manifest, filesDigest]), 'utf8').digest('hex');
  }

  get(key: string): Review | undefined {
    const review = this.entries.get(key);
    if (review) {
      // Most recently used last, so the oldest is the first to go.
      this.entries.delete(key);
      this.entries.set(key, review);
    }
    return review;
  }

  set(key: string, review: Review): void {
    this.entries.set(key, review);
    if (this.entries.size > MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
  }
}
