import assert from 'node:assert/strict';
import { AppError } from '../../server/src/errors.js';
import { readPackage, unpackPackage } from '../../server/src/store/extract.js';
import { checkSkillFiles, DEFAULT_SKILL_LIMITS } from '../../server/src/skill-rules/index.js';
import { DEFAULT_ALLOW_IMPORTS } from '../../server/src/config/index.js';
import { contracts } from './helpers.js';
import { fileBomb, MAIN_PY, manifestFor, packageOf, skillPackage, zeroBomb, type RawEntry } from './packages.js';

async function refusedWith(pkg: Buffer | Promise<Buffer>, rule: string, status = 400): Promise<void> {
  const bytes = await pkg;
  await assert.rejects(
    async () => checkSkillFiles(await readPackage(bytes, contracts, DEFAULT_SKILL_LIMITS), DEFAULT_ALLOW_IMPORTS),
    (error: unknown) => {
      assert.ok(error instanceof AppError, `an AppError, not ${String(error)}`);
      assert.equal(error.status, status, error.message);
      assert.equal(error.details.rule, rule, error.message);
      return true;
    },
  );
}

const base = (extra: RawEntry[]): Promise<Buffer> => skillPackage('hostile', extra);

describe('package extraction', () => {
  it('reads a well-formed package, at its root or in one top-level folder', async () => {
    const source = await readPackage(await skillPackage('fine', [{ name: 'data/', type: 'directory' }, { name: 'data/words.txt', data: 'a b\n' }]), contracts, DEFAULT_SKILL_LIMITS);
    assert.equal(source.manifest.name, 'fine');
    assert.deepEqual(Object.keys(source.files).sort(), ['data/words.txt', 'main.py']);
    const wrapped = await packageOf([{ name: 'fine/', type: 'directory' }, { name: 'fine/manifest.yaml', data: manifestFor('fine') }, { name: 'fine/main.py', data: MAIN_PY }]);
    assert.deepEqual(Object.keys((await readPackage(wrapped, contracts, DEFAULT_SKILL_LIMITS)).files), ['main.py']);
  });

  it('refuses ../ entries', () => refusedWith(base([{ name: '../escape.py', data: 'x = 1\n' }]), 'path-traversal'));
  it('refuses .. in the middle of a path', () => refusedWith(base([{ name: 'lib/../../escape.py', data: 'x = 1\n' }]), 'path-traversal'));
  it('refuses absolute paths', () => refusedWith(base([{ name: '/etc/cron.d/evil', data: 'x\n' }]), 'path-absolute'));
  it('refuses a symlink to /etc/passwd', () => refusedWith(base([{ name: 'passwd', type: 'symlink', linkname: '/etc/passwd' }]), 'link'));
  it('refuses a symlinked folder followed by a file through it', () =>
    refusedWith(base([{ name: 'etc', type: 'symlink', linkname: '/etc' }, { name: 'etc/evil.conf', data: 'x\n' }]), 'link'));
  it('refuses a hard link', () => refusedWith(base([{ name: 'copy.py', type: 'link', linkname: 'main.py' }]), 'link'));
  it('refuses a device node', () => refusedWith(base([{ name: 'null', type: 'character-device' }]), 'device'));
  it('refuses a FIFO', () => refusedWith(base([{ name: 'pipe', type: 'fifo' }]), 'fifo'));
  it('refuses duplicates that differ by ./, a trailing slash, case or Unicode form', async () => {
    await refusedWith(base([{ name: './main.py', data: MAIN_PY }]), 'duplicate-entry');
    await refusedWith(base([{ name: 'lib/', type: 'directory' }, { name: 'lib', type: 'directory' }]), 'duplicate-entry');
    await refusedWith(base([{ name: 'MAIN.py', data: MAIN_PY }]), 'duplicate-entry');
    await refusedWith(base([{ name: 'caf\u00e9.txt', data: 'a' }, { name: 'cafe\u0301.txt', data: 'b' }]), 'duplicate-entry');
  });
  it('refuses more entries than the bound (5 000)', async () => {
    const many = Array.from({ length: 5000 }, (_, i) => ({ name: `f${i}.txt`, data: 'x' }));
    await refusedWith(base(many), 'too-many-entries', 413);
  });
  it('refuses a 300 MB gzip bomb of zeros early, counting inflated bytes', async function () {
    this.timeout(120_000);
    const bomb = await zeroBomb(300);
    assert.ok(bomb.length < 1024 * 1024, `the bomb is small (${bomb.length} bytes)`);
    const started = Date.now();
    await refusedWith(bomb, 'inflated-too-large', 413);
    assert.ok(Date.now() - started < 5000, 'stopped at the bound, not at the end');
  });
  it('refuses a file whose header announces 300 MB before reading it', async function () {
    this.timeout(120_000);
    await refusedWith(fileBomb(300), 'file-too-large', 413);
  });
  it('refuses a package whose files add up past the unpacked bound', async () => {
    const bytes = await skillPackage('big', [{ name: 'a.txt', data: 'a'.repeat(1024) }, { name: 'b.txt', data: 'b'.repeat(1024) }]);
    await assert.rejects(unpackPackage(bytes, { ...DEFAULT_SKILL_LIMITS, max_entries: 10, max_unpacked_bytes: 1500 }), (e: unknown) =>
      e instanceof AppError && e.details.rule === 'unpacked-too-large');
  });
  it('refuses a manifest whose name is not a skill name', async () => {
    const bad = await packageOf([{ name: 'manifest.yaml', data: manifestFor('x').replace('name: x', 'name: ../x') }, { name: 'main.py', data: MAIN_PY }]);
    await assert.rejects(readPackage(bad, contracts, DEFAULT_SKILL_LIMITS), (e: unknown) => e instanceof AppError && e.code === 'validation_failed' && /manifest\.json/.test(e.message));
  });
  it('refuses what is not a .tar.gz with 400, not 500', async () => {
    await refusedWith(Promise.resolve(Buffer.from('not gzip at all')), 'malformed-package');
  });
});

describe('skill file rules', () => {
  const cases: Array<[string, RawEntry, string]> = [
    ['compiled bytecode', { name: 'main.pyc', data: 'x' }, 'forbidden-file-type'],
    ['a __pycache__ folder', { name: '__pycache__/main.cpython-311.pyc', data: 'x' }, 'bytecode'],
    ['an ELF binary named like text', { name: 'helper.txt', data: Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]) }, 'native-code'],
    ['a Mach-O binary', { name: 'helper', data: Buffer.from([0xcf, 0xfa, 0xed, 0xfe, 7]) }, 'native-code'],
    ['a PE executable', { name: 'helper.dat', data: Buffer.from('MZ\x90\x00') }, 'native-code'],
    ['a WebAssembly module', { name: 'mod.txt', data: Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]) }, 'native-code'],
    ['a shared object by name', { name: 'ext.so', data: 'plain' }, 'forbidden-file-type'],
    ['a .pth file', { name: 'evil.pth', data: 'import os\n' }, 'forbidden-file-type'],
    ['sitecustomize.py', { name: 'sitecustomize.py', data: 'x = 1\n' }, 'auto-imported'],
    ['usercustomize.py', { name: 'lib/usercustomize.py', data: 'x = 1\n' }, 'auto-imported'],
    ['json.py shadowing the standard library', { name: 'json.py', data: 'x = 1\n' }, 'shadows-module'],
    ['os.py shadowing the standard library', { name: 'os.py', data: 'x = 1\n' }, 'shadows-module'],
    ['a package folder shadowing re', { name: 're/__init__.py', data: 'x = 1\n' }, 'shadows-module'],
    ['binary data', { name: 'blob.bin', data: Buffer.from([0xff, 0xfe, 0x00, 0x01]) }, 'binary-file'],
    ['a hidden file', { name: '.env', data: 'KEY=1\n' }, 'path-name'],
  ];
  for (const [what, entry, rule] of cases) {
    it(`refuses ${what} (${rule})`, () => refusedWith(base([entry]), rule));
  }
});
