// Every escape of the corpus is caught by the rule and at the line it names, with the decision that
// rule carries; the runtimeOnly ones get the static decision chosen for them.
import assert from 'node:assert/strict';
import { RULES } from '../../server/src/control/index.js';
import type { Decision } from '../../server/src/control/types.js';
import { ESCAPES } from './escapes.corpus.js';
import { assertFinding, describeFindings, review, skill } from './helpers.js';

const DECISION_OF_SEVERITY: Record<string, Decision> = { block: 'BLOCK', escalate: 'ESCALATE', warning: 'WARN', info: 'APPROVE' };

describe('control layer: escape corpus', () => {
  it('holds at least 50 distinct techniques, each named once', () => {
    assert.ok(ESCAPES.length >= 50, `${ESCAPES.length} cases`);
    assert.equal(new Set(ESCAPES.map((c) => c.name)).size, ESCAPES.length);
    assert.equal(new Set(ESCAPES.map((c) => c.code + JSON.stringify(c.files ?? {}))).size, ESCAPES.length);
  });

  for (const escape of ESCAPES) {
    const expected = escape.decision ?? (escape.rule ? DECISION_OF_SEVERITY[RULES[escape.rule]] : 'APPROVE');
    const title = `${escape.runtimeOnly ? '[runtime only] ' : ''}${escape.name} -> ${expected}${escape.rule ? ` by ${escape.rule}` : ''} (${escape.reason})`;
    it(title, async () => {
      const result = await review(skill({ 'main.py': escape.code, ...escape.files }), escape.policy);
      assert.equal(result.decision, expected, describeFindings(result));
      if (escape.rule) assertFinding(result, escape.rule, escape.line, escape.file ?? 'main.py');
    });
  }
});
