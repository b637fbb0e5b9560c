// The rules table: every finding names one of these ids, whose severity is fixed here and only here.
// Ids are a contract (tests, audit lines and admins' reports name them): add, never rename.
// RULES.md beside this file documents each one.
import type { Decision, Finding, Severity } from './types.js';

export const RULES = {
  // refused: never runs
  'code-too-large': 'block',
  'too-many-files': 'block',
  'path-invalid': 'block',
  'entrypoint-missing': 'block',
  'handler-missing': 'block',
  'syntax-error': 'block',
  'source-ambiguous': 'block',
  'source-too-complex': 'block',
  'import-not-allowed': 'block',
  'star-import': 'block',
  'dangerous-builtin': 'block',
  'dunder-name': 'block',
  'dunder-attribute': 'block',
  'frame-attribute': 'block',
  'private-attribute': 'block',
  'module-attribute': 'block',
  'code-from-string': 'block',
  'getattr-name': 'block',
  'escape-name-string': 'block',
  'format-field-attribute': 'block',
  'runtime-internals': 'block',
  'exception-object': 'block',
  'network-origin-invalid': 'block',
  // a human decides
  'limits-above-max': 'escalate',
  'review-budget': 'escalate',
  'permission-requested': 'escalate',
  // runs, with the warning shown
  'unbounded-loop': 'warning',
  'dynamic-attribute-name': 'warning',
  'large-range': 'warning',
  // shown, changes nothing
  'recursive-function': 'info',
  'findings-truncated': 'info',
} as const satisfies Record<string, Severity>;

export type RuleId = keyof typeof RULES;

/** Where a finding points: a file and a 1-based line and column, or nothing (the manifest, the skill). */
export interface Place {
  file: string | null;
  line: number | null;
  column: number | null;
}

export const NOWHERE: Place = { file: null, line: null, column: null };

export function finding(rule: RuleId, message: string, place: Place = NOWHERE): Finding {
  return { rule, severity: RULES[rule], message, file: place.file, line: place.line, column: place.column };
}

const DECISION_OF: Record<Severity, Decision> = { block: 'BLOCK', escalate: 'ESCALATE', warning: 'WARN', info: 'APPROVE' };
const RANK: Record<Decision, number> = { APPROVE: 0, WARN: 1, ESCALATE: 2, BLOCK: 3 };

/** BLOCK > ESCALATE > WARN > APPROVE over every finding; info findings leave a skill approved. */
export function decide(findings: readonly Finding[]): Decision {
  let decision: Decision = 'APPROVE';
  for (const f of findings) {
    const next = DECISION_OF[f.severity];
    if (RANK[next] > RANK[decision]) decision = next;
  }
  return decision;
}

/**
 * A hostile skill can produce a finding per token; the answer keeps the first `max` (most severe first)
 * and says how many it left out. The decision is taken over all of them before.
 */
export function capFindings(findings: Finding[], max: number): Finding[] {
  if (findings.length <= max) return findings;
  const order: Record<Severity, number> = { block: 0, escalate: 1, warning: 2, info: 3 };
  const kept = [...findings].sort((a, b) => order[a.severity] - order[b.severity]).slice(0, max);
  kept.push(finding('findings-truncated', `${findings.length - max} more findings left out`));
  return kept;
}
