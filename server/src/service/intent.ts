// Finding an active skill for an intent (SPEC §6): the words of the intent against each skill's
// name, description and tags. A plain word-overlap score is predictable and explainable, which
// matters more here than cleverness: a wrong match runs the wrong code.
import type { SkillRecord } from '../store/index.js';

const STOP_WORDS = new Set([
  'a', 'an', 'the', 'of', 'in', 'on', 'to', 'for', 'and', 'or', 'with', 'from', 'by', 'at', 'as', 'is',
  'are', 'be', 'it', 'its', 'this', 'that', 'some', 'any', 'me', 'my', 'i', 'please', 'give', 'get',
  'make', 'do', 'how', 'many', 'much', 'what', 'which', 'into', 'all', 'each', 'given',
]);

export function intentWords(text: string): string[] {
  const words = text.toLowerCase().normalize('NFKC').split(/[^\p{L}\p{N}]+/u).filter((w) => w.length > 1 && !STOP_WORDS.has(w));
  // A crude stem so that "words" meets "word" and "counting" meets "count".
  return [...new Set(words.map((w) => w.replace(/(ing|es|s)$/u, '')))];
}

/** The active skill that shares the most intent words, needing at least half of them; ties go to the shorter description. */
export function matchIntent(intent: string, records: SkillRecord[]): SkillRecord | undefined {
  const wanted = intentWords(intent);
  if (wanted.length === 0) return undefined;
  let best: { record: SkillRecord; score: number } | undefined;
  for (const record of records.filter((r) => r.status === 'active')) {
    const known = new Set(intentWords(`${record.name} ${record.description} ${record.tags.join(' ')}`));
    const score = wanted.filter((w) => known.has(w)).length / wanted.length;
    if (score < 0.5) continue;
    if (!best || score > best.score || (score === best.score && record.description.length < best.record.description.length)) {
      best = { record, score };
    }
  }
  return best?.record;
}

/** A skill name (SPEC §2 pattern) made from the intent's words. */
export function nameForIntent(intent: string): string {
  const slug = intentWords(intent).join('-').replace(/[^a-z0-9-]/g, '').replace(/^[^a-z]+/, '').slice(0, 40).replace(/-+$/, '');
  return slug || 'generated-skill';
}
