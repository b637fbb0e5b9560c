// Installing and uninstalling over HTTP (SPEC §3, §8): by name from the default registry (packed from
// skills/ as setup does), by upload, with a tampered registry, and a battery of hostile packages that
// must each be refused with a 4xx while nothing on disk changes.
import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DEFAULT_ALLOW_IMPORTS } from '../../server/src/config/index.js';
import { DEFAULT_SKILL_LIMITS } from '../../server/src/skill-rules/index.js';
import { BUNDLED_SKILLS_DIR } from '../../server/src/paths.js';
import { packRegistry } from '../../scripts/pack-registry.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { snapshotTree } from '../store/helpers.js';
import { fileBomb, MAIN_PY, manifestFor, packageOf, skillPackage, zeroBomb, type RawEntry } from '../store/packages.js';

describe('skill lifecycle: install and uninstall', function () {
  let t: TestService;
  let index: { packages: Array<{ name: string; sha256: string; path: string }> };
  before(async () => {
    t = await startTestService({ registry: { preinstall: ['word-count'] } });
    await packRegistry({ out: path.join(t.dataDir, 'registry'), skillsDir: BUNDLED_SKILLS_DIR, allowImports: DEFAULT_ALLOW_IMPORTS, limits: DEFAULT_SKILL_LIMITS });
    index = JSON.parse(await readFile(path.join(t.dataDir, 'registry', 'index.json'), 'utf8'));
  });
  after(async () => {
    await t.close();
  });

  const upload = (bytes: Buffer) => t.as('admin').post('/v1/skills/install').set('Content-Type', 'application/gzip').send(bytes);

  it('installs a skill by name from the default registry, checked against its sha256', async () => {
    const res = await t.as('admin').post('/v1/skills/install').send({ name: 'json-reshape' });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.equal(res.body.skill.name, 'json-reshape');
    assert.equal(res.body.skill.status, 'active');
    assert.equal(res.body.skill.origin, 'install');
    assert.equal(res.body.digest, `sha256:${index.packages.find((p) => p.name === 'json-reshape')!.sha256}`);
    assert.ok(['APPROVE', 'WARN'].includes(res.body.review.decision));
    const again = await t.as('admin').post('/v1/skills/install').send({ name: 'json-reshape', version: '1.0.0' });
    assert.equal(again.status, 409);
    const missing = await t.as('admin').post('/v1/skills/install').send({ name: 'no-such-skill' });
    assert.equal(missing.status, 404);
    const author = await t.as('author').post('/v1/skills/install').send({ name: 'date-diff' });
    assert.equal(author.status, 403);
  });

  it('refuses a registry package whose bytes differ from the index (422) and installs nothing', async () => {
    const entry = index.packages.find((p) => p.name === 'date-diff')!;
    const file = path.join(t.dataDir, 'registry', entry.path);
    const original = await readFile(file);
    await writeFile(file, await skillPackage('date-diff'));
    try {
      const res = await t.as('admin').post('/v1/skills/install').send({ name: 'date-diff' });
      assert.equal(res.status, 422, JSON.stringify(res.body));
      assert.equal(res.body.error.details.rule, 'package-digest');
      assert.equal((await t.as('client').get('/v1/skills/date-diff')).status, 404);
    } finally {
      await writeFile(file, original);
    }
  });

  it('installs an uploaded package, uninstalls it, and answers 404 the second time', async () => {
    const res = await upload(await skillPackage('uploaded', [{ name: 'data/', type: 'directory' }, { name: 'data/words.txt', data: 'a b c\n' }]));
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.equal(res.body.skill.origin, 'upload');
    assert.match(res.body.digest, /^sha256:[0-9a-f]{64}$/);
    await readFile(path.join(t.dataDir, 'skills', 'uploaded', '1.0.0', 'data', 'words.txt'));

    const removed = await t.as('admin').post('/v1/skills/uninstall').send({ name: 'uploaded' });
    assert.equal(removed.status, 200);
    assert.deepEqual(removed.body, { removed: [{ name: 'uploaded', version: '1.0.0' }] });
    assert.deepEqual((await readdir(path.join(t.dataDir, 'skills'))).includes('uploaded'), false);
    const again = await t.as('admin').post('/v1/skills/uninstall').send({ name: 'uploaded' });
    assert.equal(again.status, 404);
    assert.equal(again.body.error.code, 'not_found');
  });

  it('uninstalls one version, or every version', async () => {
    for (const version of ['1.0.0', '1.1.0', '2.0.0']) assert.equal((await upload(await skillPackage('versions', [], version))).status, 201);
    const one = await t.as('admin').post('/v1/skills/uninstall').send({ name: 'versions', version: '1.1.0' });
    assert.deepEqual(one.body.removed, [{ name: 'versions', version: '1.1.0' }]);
    const rest = await t.as('admin').post('/v1/skills/uninstall').send({ name: 'versions' });
    assert.deepEqual(rest.body.removed, [{ name: 'versions', version: '1.0.0' }, { name: 'versions', version: '2.0.0' }]);
  });

  it('audits install and uninstall', async () => {
    const installs = await t.service.audit.query({ event: 'install', skill: 'json-reshape' });
    assert.ok(installs.some((e) => e.outcome === 'active' && e.actor === 'admin-key' && (e.details as { sha256?: string }).sha256));
    const uninstalls = await t.service.audit.query({ event: 'uninstall', skill: 'uploaded' });
    assert.deepEqual(uninstalls.map((e) => e.outcome).sort(), ['not_found', 'removed']);
  });

  it('refuses a body that is neither JSON nor a package (415)', async () => {
    const res = await t.as('admin').post('/v1/skills/install').set('Content-Type', 'text/plain').send('word-count');
    assert.equal(res.status, 415);
  });

  describe('hostile packages: each refused with a 4xx, nothing written anywhere', () => {
    const hostile: Array<[string, () => Promise<Buffer>]> = [
      ['a ../ entry', () => skillPackage('hostile', [{ name: '../../escape.py', data: 'x = 1\n' }])],
      ['an absolute path', () => skillPackage('hostile', [{ name: '/tmp/escape.py', data: 'x = 1\n' }])],
      ['a symlink to /etc/passwd', () => skillPackage('hostile', [{ name: 'passwd', type: 'symlink', linkname: '/etc/passwd' }])],
      ['a symlinked folder and a file through it', () => skillPackage('hostile', [{ name: 'out', type: 'symlink', linkname: '/tmp' }, { name: 'out/escape.py', data: 'x = 1\n' }])],
      ['a hard link', () => skillPackage('hostile', [{ name: 'copy', type: 'link', linkname: '/etc/passwd' }])],
      ['a device node', () => skillPackage('hostile', [{ name: 'disk', type: 'block-device' }])],
      ['5 000 entries', () => skillPackage('hostile', Array.from({ length: 5000 }, (_, i): RawEntry => ({ name: `f${i}.txt`, data: 'x' })))],
      ['a 300 MB gzip bomb', () => zeroBomb(300)],
      ['a file announcing 300 MB', () => fileBomb(300)],
      ['a manifest named ../x', () => packageOf([{ name: 'manifest.yaml', data: manifestFor('x').replace('name: x', 'name: ../x') }, { name: 'main.py', data: MAIN_PY }])],
      ['native code', () => skillPackage('hostile', [{ name: 'helper.py', data: Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]) }])],
      ['a sitecustomize.py', () => skillPackage('hostile', [{ name: 'sitecustomize.py', data: 'import os\n' }])],
      ['a YAML alias bomb in the manifest', () => packageOf([{ name: 'manifest.yaml', data: `${manifestFor('bomb')}x: &a [1]\n${Array.from({ length: 40 }, (_, i) => `y${i}: [*a, *a]`).join('\n')}\n` }, { name: 'main.py', data: MAIN_PY }])],
      ['a __proto__ key in the manifest', () => packageOf([{ name: 'manifest.yaml', data: `${manifestFor('proto')}permissions: {__proto__: {network: true}}\n` }, { name: 'main.py', data: MAIN_PY }])],
    ];
    for (const [what, build] of hostile) {
      it(`refuses ${what}`, async function () {
        this.timeout(120_000);
        const bytes = await build();
        // The audit log records the refusal; everything else must stay as it was.
        const outsideAudit = (lines: string[]) => lines.filter((line) => !/^[df] audit(\/| )/.test(line));
        const before = outsideAudit(await snapshotTree(t.dataDir));
        const res = await upload(bytes);
        assert.ok(res.status >= 400 && res.status < 500, `${what}: ${res.status} ${JSON.stringify(res.body)}`);
        assert.ok(res.body.error?.code && res.body.error.message, 'an error in the SPEC shape');
        assert.deepEqual(outsideAudit(await snapshotTree(t.dataDir)), before, `${what}: the data_dir changed`);
        assert.deepEqual(await readdir(path.join(t.dataDir, 'skills', '_tmp')), [], 'no staging folder left');
      });
    }
  });
});
