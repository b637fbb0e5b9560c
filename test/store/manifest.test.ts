import assert from 'node:assert/strict';
import { AppError } from '../../server/src/errors.js';
import { DEFAULT_SKILL_LIMITS } from '../../server/src/skill-rules/index.js';
import { parseManifest } from '../../server/src/store/manifest.js';
import { contracts } from './helpers.js';
import { manifestFor } from './packages.js';

function refusedWith(text: string, rule: string): void {
  assert.throws(() => parseManifest(text, contracts, DEFAULT_SKILL_LIMITS), (error: unknown) => error instanceof AppError && error.details.rule === rule, rule);
}

describe('manifest reading', () => {
  it('reads a plain manifest', () => {
    assert.equal(parseManifest(manifestFor('plain'), contracts, DEFAULT_SKILL_LIMITS).name, 'plain');
  });
  it('refuses more aliases than the bound (billion laughs)', () => {
    const many = `${manifestFor('laughs')}input_schema: {type: object, x: &a [1], y: [${Array.from({ length: 40 }, () => '*a').join(', ')}]}\n`;
    refusedWith(many, 'manifest-yaml');
  });
  it('refuses custom and language-specific tags instead of reading them as strings', () => {
    refusedWith(`${manifestFor('tagged')}input_schema: !!js/function "function () {}"\n`, 'manifest-yaml');
    refusedWith(`${manifestFor('tagged')}input_schema: !python/object:os.system {}\n`, 'manifest-yaml');
  });
  it('refuses __proto__, constructor and prototype keys at any depth', () => {
    refusedWith(`${manifestFor('proto')}input_schema: {type: object, properties: {a: {__proto__: {polluted: true}}}}\n`, 'forbidden-key');
    refusedWith(`${manifestFor('proto')}permissions: {constructor: {prototype: {}}}\n`, 'forbidden-key');
  });
  it('refuses duplicate keys and an oversized manifest', () => {
    refusedWith(`${manifestFor('dup')}name: other\n`, 'manifest-yaml');
    refusedWith(`${manifestFor('big')}description: "${'x'.repeat(70 * 1024)}"\n`, 'manifest-too-large');
  });
  it('validates against contracts/manifest.json', () => {
    assert.throws(() => parseManifest(manifestFor('x').replace('runtime: python3', 'runtime: node'), contracts, DEFAULT_SKILL_LIMITS), (e: unknown) => e instanceof AppError && e.code === 'validation_failed');
    assert.throws(() => parseManifest(`${manifestFor('x')}unknown: 1\n`, contracts, DEFAULT_SKILL_LIMITS), (e: unknown) => e instanceof AppError && e.code === 'validation_failed');
  });
});
