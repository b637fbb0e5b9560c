// No false positives at run time: every skill of the ordinary corpus (the one the control layer
// approves) runs under the default policy, through the in-process guard, its facades and the kernel
// filter, and ends as it should. (The bundled skills run end to end in test/lifecycle/bundled.test.ts.)
import assert from 'node:assert/strict';
import { GENERIC_INPUT, ORDINARY } from '../control/ordinary.corpus.js';
import { assertNoContainersLeft, DEFAULT_POLICY, TEST_LIMITS, testBackend } from '../helpers/docker.js';

describe('security: ordinary skills still run under the guard and the kernel filter', () => {
  const { backend, dataDir } = testBackend('ordinary');

  after(async () => {
    await backend.close();
    await assertNoContainersLeft(dataDir);
  });

  for (const ordinary of ORDINARY) {
    it(`runs "${ordinary.name}"`, async () => {
      const expected = ordinary.status ?? 'succeeded';
      const outcome = await backend.run({
        files: ordinary.files, entrypoint: 'main.py', handler: 'run', input: ordinary.input ?? GENERIC_INPUT,
        limits: { ...TEST_LIMITS, timeout_ms: expected === 'timeout' ? 1000 : TEST_LIMITS.timeout_ms },
        policy: DEFAULT_POLICY,
      });
      assert.equal(outcome.status, expected, JSON.stringify(outcome.error));
    });
  }
});
