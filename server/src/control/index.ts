// The control layer (SPEC §4): static review of a skill's files and manifest against the admin's
// policy. Pure: no I/O but loading its parser. The rules and their ids are in RULES.md.
// Large skills are reviewed in a worker pool, so a hostile 256 KiB file never holds the server's
// event loop; small ones in this thread, where a worker's round trip would cost more than the review.
// Decisions are cached by (files digest, manifest, policy): the same skill is reviewed once.
import { Piscina } from 'piscina';
import type { SkillFiles, SkillSource } from '../skill.js';
import { PythonParser } from './parse.js';
import { ReviewCache } from './review-cache.js';
import { digestFiles, reviewSkill } from './review.js';
import type { ControlPolicy, Review } from './types.js';

/** Skills with less code than this are reviewed in this thread (a few milliseconds at most). */
const IN_THREAD_MAX_BYTES = 16 * 1024;

export interface ControlLayer {
  /** Decision BLOCK > ESCALATE > WARN > APPROVE over every finding, with the digest of the files reviewed. */
  review(skill: SkillSource, policy: ControlPolicy): Promise<Review>;
  /** "sha256:<hex>" over the files in canonical order: a run refuses files whose digest is not the reviewed one. */
  digest(files: SkillFiles): string;
  /** Reviews made, and decisions served from the cache, since the start. */
  stats(): { reviewed: number; cached: number };
  /** Ends the worker threads. */
  close(): Promise<void>;
}

export interface ControlLayerOptions {
  /** Worker threads for large reviews (default 2). */
  threads?: number;
  /** Remember decisions by digest and policy (default true; the bench turns it off to compare). */
  cache?: boolean;
}

function codeBytes(files: SkillFiles): number {
  let bytes = 0;
  for (const text of Object.values(files)) bytes += Buffer.byteLength(text, 'utf8');
  return bytes;
}

export async function createControlLayer(options: ControlLayerOptions = {}): Promise<ControlLayer> {
  const parser = await PythonParser.load();
  const threads = options.threads ?? 2;
  const pool = new Piscina({
    filename: new URL('./review-worker.js', import.meta.url).href,
    minThreads: 0,
    maxThreads: threads,
    idleTimeout: 60_000,
  });
  const cache = options.cache === false ? null : new ReviewCache();
  const counts = { reviewed: 0, cached: 0 };
  const reviewNow = (skill: SkillSource, policy: ControlPolicy): Promise<Review> => {
    counts.reviewed++;
    if (codeBytes(skill.files) < IN_THREAD_MAX_BYTES) return reviewSkill(parser, skill, policy);
    return pool.run({ skill: { manifest: skill.manifest, files: skill.files }, policy }) as Promise<Review>;
  };
  return {
    async review(skill, policy) {
      if (!cache) return reviewNow(skill, policy);
      const key = ReviewCache.keyOf(skill, digestFiles(skill.files), policy);
      const known = cache.get(key);
      if (known) {
        counts.cached++;
        return structuredClone(known);
      }
      const review = await reviewNow(skill, policy);
      cache.set(key, review);
      return structuredClone(review);
    },
    digest: digestFiles,
    stats: () => ({ ...counts }),
    close: () => pool.destroy(),
  };
}

export { RULES, type RuleId } from './rules.js';
export type { ControlPolicy, Decision, Finding, Review, Severity } from './types.js';
