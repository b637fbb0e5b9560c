// Ordinary skills pass: the rules refuse escapes, not the Python that authors write. Each case is a
// small skill of a common kind; the WARN ones say why a warning is right for them.
import assert from 'node:assert/strict';
import { BENCH_POLICY, BENCH_SKILL } from '../../scripts/bench-review.js';
import { controlLayer, describeFindings, review, skill } from './helpers.js';
import { ORDINARY } from './ordinary.corpus.js';

describe('control layer: ordinary skills pass', () => {
  for (const ordinary of ORDINARY) {
    it(`${ordinary.name} -> ${ordinary.decision}`, async () => {
      const result = await review(skill(ordinary.files));
      assert.equal(result.decision, ordinary.decision, describeFindings(result));
      assert.deepEqual([...new Set(result.findings.map((f) => f.rule))].sort(), [...(ordinary.rules ?? [])].sort(), describeFindings(result));
    });
  }

  it('holds at least 15 cases', () => {
    assert.ok(ORDINARY.length >= 15);
  });

  it('approves the 200-line skill of the benchmark', async () => {
    const control = await controlLayer();
    const result = await control.review(BENCH_SKILL, BENCH_POLICY);
    assert.equal(result.decision, 'APPROVE', describeFindings(result));
  });
});
