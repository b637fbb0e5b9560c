// One rule set for a skill's files (skill-rules/): over generated names and sizes, what create stages
// the store reads back unchanged, a package of it installs under the same limits, and the control
// layer's review (which sees the files as staged, under their canonical names) agrees with the store
// on every name.
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import fc from 'fast-check';
import { AppError } from '../../server/src/errors.js';
import { fileNameProblem, shadowedModules, type SkillLimits } from '../../server/src/skill-rules/index.js';
import type { SkillSource } from '../../server/src/skill.js';
import { openSkillStore, packSkill, readPackage, type SkillStore } from '../../server/src/store/index.js';
import { controlLayer, policy as controlPolicy } from '../control/helpers.js';
import { contracts, policy, quietLogger, standInControl, tempDataDir } from './helpers.js';

/** Small bounds, so generated skills fall on both sides of each. */
const LIMITS: SkillLimits = { max_package_bytes: 1 << 20, max_entries: 5, max_unpacked_bytes: 5000, max_file_bytes: 2000, max_manifest_bytes: 1024 };
const MAIN_PY = 'def run(inp):\n    return inp\n';

/** Pieces that names are built from: plain and non-ASCII letters, NFD forms, separators, dots, traps. */
const NAME_PIECES = [
  'a', 'Z', '9', '_', '-', '+', '.', '..', '/', '//', ' ', '\\', '\u0000', '\u202e', 'é', 'e\u0301', 'données', 'ß', '日本',
  'json', 'sitecustomize', '__pycache__', '__proto__', 'manifest.yaml', '.py', '.txt', '.log', '.bin', '.so', '.pth', '.PY', 'C:',
];
const nameArbitrary = fc.array(fc.constantFrom(...NAME_PIECES), { minLength: 1, maxLength: 5 }).map((pieces) => pieces.join(''));

function skillWith(files: Record<string, string>, descriptionLength = 10): SkillSource {
  return {
    manifest: { name: 'generated', version: '1.0.0', description: 'd'.repeat(descriptionLength), runtime: 'python3', entrypoint: 'main.py', handler: 'run' },
    files: { 'main.py': MAIN_PY, ...files },
  };
}

async function outcome<T>(work: () => Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: AppError }> {
  try {
    return { ok: true, value: await work() };
  } catch (error) {
    if (error instanceof AppError) return { ok: false, error };
    throw error;
  }
}

describe('one rule set for a skill\'s files and sizes', function () {
  let dataDir: string;
  let store: SkillStore;
  let version = 0;

  before(async () => {
    dataDir = await tempDataDir();
    store = await openSkillStore({
      config: { data_dir: dataDir, registry: { url: `${dataDir}/registry`, preinstall: [] }, store: LIMITS },
      contracts, control: standInControl(), policy, logger: quietLogger,
    });
  });
  after(async () => {
    await store.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  /** Stages and commits under a fresh version; returns what the store reads back, or the refusal. */
  async function createAndReadBack(source: SkillSource) {
    const manifest = { ...source.manifest, version: `1.0.${version++}` };
    return outcome(async () => {
      const record = await store.add({ manifest, files: source.files }, { status: 'active', origin: 'create', digest: 'sha256:x', review: { decision: 'APPROVE', findings: [] } });
      return store.read(record);
    });
  }

  it('names: the review finds no path-invalid in what the store took, and one in every name it refused', async () => {
    const control = await controlLayer();
    const shadowed = shadowedModules(controlPolicy().allow_imports);
    const pathInvalid = async (source: SkillSource) => (await control.review(source, controlPolicy())).findings.some((f) => f.rule === 'path-invalid');
    await fc.assert(fc.asyncProperty(nameArbitrary, async (name) => {
      const source = skillWith({ [name]: 'text\n' });
      const stored = await createAndReadBack(source);
      if (stored.ok) {
        assert.ok(!(await pathInvalid(stored.value)), `the store took ${JSON.stringify(name)}, the review calls it path-invalid`);
        // The same content under the canonical name (NFC, no ./ or trailing slash).
        assert.deepEqual(Object.values(stored.value.files).sort(), Object.values(source.files).sort());
        for (const storedName of Object.keys(stored.value.files)) assert.equal(fileNameProblem(storedName, shadowed), null);
      } else {
        assert.equal(stored.error.code, 'validation_failed');
        const wholeSkillRule = ['duplicate-entry', 'file-folder-clash'].includes(String(stored.error.details.rule));
        assert.ok(wholeSkillRule || (await pathInvalid(source)), `the store refused ${JSON.stringify(name)} (${stored.error.message}), the review took it`);
      }
    }), { numRuns: 150 });
  });

  it('sizes: what create accepts the store reads back and a package of it installs; the rest is refused at create', async () => {
    const sizes = fc.array(fc.integer({ min: 0, max: 2400 }), { minLength: 0, maxLength: 5 });
    await fc.assert(fc.asyncProperty(sizes, fc.integer({ min: 0, max: 1100 }), async (fileSizes, descriptionLength) => {
      const files = Object.fromEntries(fileSizes.map((size, i) => [`data/f${i}.txt`, 'x'.repeat(size)]));
      const source = skillWith(files, descriptionLength);
      const stored = await createAndReadBack(source);
      const all = [MAIN_PY.length, ...fileSizes];
      const fits = all.length + 1 <= LIMITS.max_entries && fileSizes.every((size) => size <= LIMITS.max_file_bytes);
      if (!stored.ok) {
        assert.equal(stored.error.code, 'payload_too_large', stored.error.message);
        return;
      }
      assert.ok(fits, `accepted ${JSON.stringify(fileSizes)} over the file bounds`);
      assert.deepEqual(stored.value.files, source.files);
      const installed = await readPackage(await packSkill(stored.value), contracts, LIMITS);
      assert.deepEqual(installed.files, source.files);
      assert.deepEqual(installed.manifest, stored.value.manifest);
    }), { numRuns: 120 });
  });
});
