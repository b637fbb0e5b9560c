// The default import allowlist (SPEC §10) is written in the service (DEFAULT_ALLOW_IMPORTS) and, for
// speed, in the runtime's list of modules a warm container loads before its job (PRELOADED in
// te_runtime/skill_process.py). These keep the two in step by what a skill sees.
import assert from 'node:assert/strict';
import { DEFAULT_ALLOW_IMPORTS } from '../../server/src/config/index.js';
import { assertNoContainersLeft, DEFAULT_POLICY, PERMISSIVE_POLICY, py, skillJob, testBackend } from '../helpers/docker.js';

// The runtime's own module (the brokered network), imported on first use.
const RUNTIME_MODULES = new Set(['net']);

describe('engine: the default import allowlist', () => {
  const { backend, dataDir } = testBackend('allowlist');

  after(async () => {
    await backend.close();
    await assertNoContainersLeft(dataDir);
  });

  it('imports every module of the default allowlist under the default policy', async () => {
    const source = `${DEFAULT_ALLOW_IMPORTS.map((name) => `import ${name}`).join('\n')}\n\ndef run(inp):\n    return {"imported": ${DEFAULT_ALLOW_IMPORTS.length}}\n`;
    const outcome = await backend.run(skillJob(source, { policy: DEFAULT_POLICY }));
    assert.equal(outcome.status, 'succeeded', JSON.stringify(outcome.error));
    assert.deepEqual(outcome.result, { imported: DEFAULT_ALLOW_IMPORTS.length });
  });

  it('finds each of them already loaded when the skill starts, so none costs an import at run time', async () => {
    const outcome = await backend.run(skillJob(py`
      import sys
      def run(inp):
          return sorted(name for name in inp['modules'] if name not in sys.modules)
    `, { policy: PERMISSIVE_POLICY, input: { modules: DEFAULT_ALLOW_IMPORTS.filter((name) => !RUNTIME_MODULES.has(name)) } }));
    assert.equal(outcome.status, 'succeeded', JSON.stringify(outcome.error));
    assert.deepEqual(outcome.result, []);
  });
});
