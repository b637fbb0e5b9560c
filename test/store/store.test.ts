import assert from 'node:assert/strict';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { AppError } from '../../server/src/errors.js';
import { contracts, meta, openTestStore, sampleSkill, snapshotTree, standInControl, tempDataDir } from './helpers.js';

describe('skill store', () => {
  let dataDir: string;
  beforeEach(async () => {
    dataDir = await tempDataDir();
  });
  afterEach(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('preinstalls every bundled skill on a new data_dir, active and of origin bundled', async () => {
    const store = await openTestStore(dataDir, 'all');
    const wordCount = store.find('word-count');
    assert.ok(wordCount, 'word-count is installed');
    assert.equal(wordCount.status, 'active');
    assert.equal(wordCount.origin, 'bundled');
    const stored = await store.read(wordCount);
    assert.match(stored.files['main.py']!, /def run/);
    assert.ok(!('manifest.yaml' in stored.files));
    await stat(path.join(dataDir, 'skills', 'word-count', '1.0.0', 'manifest.yaml'));
    await store.close();
  });

  it('preinstalls nothing with registry.preinstall: [] and does not preinstall again on the next start', async () => {
    const store = await openTestStore(dataDir, []);
    assert.deepEqual(store.list(), []);
    await store.close();
    const again = await openTestStore(dataDir, 'all');
    assert.deepEqual(again.list(), [], 'a data_dir that has an installed.json is not new');
    await again.close();
  });

  it('leaves out a bundled skill the control layer blocks', async () => {
    const store = await openTestStore(dataDir, ['word-count'], standInControl('BLOCK'));
    assert.equal(store.find('word-count'), undefined);
    await store.close();
  });

  it('stops on a corrupt installed.json instead of starting empty', async () => {
    await mkdir(path.join(dataDir, 'skills'), { recursive: true });
    await writeFile(path.join(dataDir, 'skills', 'installed.json'), '{"format": 1, "skills": [');
    await assert.rejects(openTestStore(dataDir), /installed\.json is corrupt.*will not start/);
    await writeFile(path.join(dataDir, 'skills', 'installed.json'), '{"format": 1, "skills": [{"name": "../x"}]}');
    await assert.rejects(openTestStore(dataDir), /installed\.json is corrupt/);
  });

  it('adds a draft under _drafts, promotes it into place, removes it', async () => {
    const store = await openTestStore(dataDir);
    const source = sampleSkill('greet', '1.2.0', { 'lib/util.py': 'X = 1\n', 'data/words.txt': 'a b c\n' });
    const record = await store.add(source, meta('draft', source));
    assert.equal(record.status, 'draft');
    const draftDir = path.join(dataDir, 'skills', '_drafts', 'greet', '1.2.0');
    assert.equal((await stat(path.join(draftDir, 'lib', 'util.py'))).mode & 0o7777, 0o644);
    assert.equal((await stat(path.join(draftDir, 'lib'))).mode & 0o7777, 0o755);

    const promoted = await store.setStatus('greet', '1.2.0', 'active');
    assert.equal(promoted.status, 'active');
    await assert.rejects(stat(draftDir), { code: 'ENOENT' });
    const read = await store.read(promoted);
    assert.deepEqual(read.files, source.files);
    assert.equal(store.find('greet')?.status, 'active');

    const installed = JSON.parse(await readFile(path.join(dataDir, 'skills', 'installed.json'), 'utf8'));
    assert.equal(installed.skills[0].status, 'active');

    assert.deepEqual(await store.remove('greet'), [{ name: 'greet', version: '1.2.0' }]);
    assert.deepEqual(await store.remove('greet'), []);
    const left = await snapshotTree(path.join(dataDir, 'skills'));
    assert.deepEqual(left.filter((line) => line.startsWith('d ')), ['d _drafts', 'd _tmp']);
    await store.close();
  });

  it('refuses a second add of the same name and version with 409 and leaves no staging behind', async () => {
    const store = await openTestStore(dataDir);
    await store.add(sampleSkill('twice'), meta());
    await assert.rejects(store.add(sampleSkill('twice'), meta('active')), (error: unknown) => error instanceof AppError && error.code === 'conflict');
    assert.deepEqual(await snapshotTree(path.join(dataDir, 'skills', '_tmp')), []);
    await store.close();
  });

  it('finds the highest version by semver when none is given', async () => {
    const store = await openTestStore(dataDir);
    for (const version of ['1.9.0', '1.10.0', '1.2.0']) await store.add(sampleSkill('multi', version), meta());
    assert.equal(store.find('multi')?.version, '1.10.0');
    assert.equal(store.find('multi', '1.2.0')?.version, '1.2.0');
    await store.close();
  });

  it('reconciles at start-up: unnamed folders and staging go, a half-moved folder comes back', async () => {
    const store = await openTestStore(dataDir);
    await store.add(sampleSkill('kept'), meta('draft'));
    await store.close();
    const skills = path.join(dataDir, 'skills');
    await mkdir(path.join(skills, 'orphan', '1.0.0'), { recursive: true });
    await mkdir(path.join(skills, '_drafts', 'orphan2', '2.0.0'), { recursive: true });
    await mkdir(path.join(skills, '_tmp', 'stage-x', 'deep'), { recursive: true });
    // A promotion that moved the folder but died before installed.json said so.
    await mkdir(path.join(skills, 'kept'), { recursive: true });
    const { rename } = await import('node:fs/promises');
    await rename(path.join(skills, '_drafts', 'kept', '1.0.0'), path.join(skills, 'kept', '1.0.0'));

    const reopened = await openTestStore(dataDir);
    assert.equal(reopened.find('kept')?.status, 'draft');
    const tree = await snapshotTree(skills);
    assert.deepEqual(tree.filter((line) => line.startsWith('d ')), ['d _drafts', 'd _drafts/kept', 'd _drafts/kept/1.0.0', 'd _tmp']);
    await reopened.close();
  });

  it('drops a record whose folder was deleted by hand, and says so', async () => {
    const store = await openTestStore(dataDir);
    await store.add(sampleSkill('gone'), meta('active'));
    await store.close();
    await rm(path.join(dataDir, 'skills', 'gone'), { recursive: true });
    const reopened = await openTestStore(dataDir);
    assert.equal(reopened.find('gone'), undefined);
    const installed = contracts.assert('installed.json', JSON.parse(await readFile(path.join(dataDir, 'skills', 'installed.json'), 'utf8')));
    assert.deepEqual(installed.skills, []);
    await reopened.close();
  });

  it('stores versions with pre-release and build metadata under their own folder names', async () => {
    const store = await openTestStore(dataDir);
    for (const version of ['1.0.0-rc.1', '1.0.0+build.5']) {
      await store.add(sampleSkill('tagged', version), meta('active'));
      await stat(path.join(dataDir, 'skills', 'tagged', version, 'main.py'));
    }
    await store.close();
  });

  it('lands 30 concurrent adds, every one in installed.json', async () => {
    const store = await openTestStore(dataDir);
    const names = Array.from({ length: 30 }, (_, i) => `parallel-${i}`);
    await Promise.all(names.map((name, i) => store.add(sampleSkill(name), meta(i % 2 ? 'active' : 'draft'))));
    const installed = JSON.parse(await readFile(path.join(dataDir, 'skills', 'installed.json'), 'utf8')) as { skills: Array<{ name: string }> };
    assert.deepEqual(installed.skills.map((s) => s.name).sort(), [...names].sort());
    await store.close();
  });

  it('loses no write when two stores (two processes) share a data_dir', async () => {
    const first = await openTestStore(dataDir);
    const second = await openTestStore(dataDir);
    const names = Array.from({ length: 20 }, (_, i) => `shared-${i}`);
    await Promise.all(names.map((name, i) => (i % 2 ? first : second).add(sampleSkill(name), meta())));
    await first.remove('shared-0');
    const third = await openTestStore(dataDir);
    assert.deepEqual(third.list().map((r) => r.name).sort(), names.slice(1).sort());
    for (const store of [first, second, third]) await store.close();
  });
});
