// API keys: only hashes are kept, comparison covers every key, and a data_dir without configured
// keys gets one admin key on its first start, shown once.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { hasRole } from '../../server/src/auth/index.js';
import { KeyRing, loadKeys, sha256Hex } from '../../server/src/auth/keys.js';

describe('API keys', () => {
  let dataDir: string;
  beforeEach(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'te-keys-'));
  });
  afterEach(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('resolves a key to its id and role, and nothing else to anything', () => {
    const ring = new KeyRing([
      { id: 'reader', role: 'client', sha256: sha256Hex('key-one') },
      { id: 'ops', role: 'admin', sha256: sha256Hex('key-two') },
    ]);
    assert.deepEqual(ring.resolve('key-one'), { id: 'reader', role: 'client' });
    assert.deepEqual(ring.resolve('key-two'), { id: 'ops', role: 'admin' });
    for (const other of ['', 'key-one ', 'KEY-ONE', 'key-on', sha256Hex('key-one')]) assert.equal(ring.resolve(other), null, other);
  });

  it('orders roles client < author < admin, each including the ones before', () => {
    const order = ['client', 'author', 'admin'] as const;
    for (const [i, held] of order.entries()) {
      for (const [j, needed] of order.entries()) assert.equal(hasRole({ id: 'k', role: held }, needed), i >= j, `${held} for ${needed}`);
    }
  });

  it('refuses key lists that would fail or mislead at request time', () => {
    assert.throws(() => new KeyRing([{ id: 'a', role: 'admin', sha256: 'abc' }]), /lowercase hex sha256/);
    assert.throws(() => new KeyRing([{ id: 'a', role: 'root' as 'admin', sha256: sha256Hex('x') }]), /role/);
    assert.throws(() => new KeyRing([
      { id: 'a', role: 'client', sha256: sha256Hex('same') },
      { id: 'b', role: 'admin', sha256: sha256Hex('same') },
    ]), /keys a and b have the same sha256/);
  });

  it('with no keys configured, creates one admin key on first start, keeps only its hash, and hands it out once', async () => {
    const first = await loadKeys([], dataDir);
    assert.match(first.createdKey ?? '', /^te_[A-Za-z0-9_-]{32}$/);
    const file = path.join(dataDir, 'auth', 'keys.json');
    const stored = await readFile(file, 'utf8');
    assert.ok(!stored.includes(first.createdKey!), 'the key itself is not stored');
    assert.deepEqual(JSON.parse(stored), [{ id: 'admin', role: 'admin', sha256: sha256Hex(first.createdKey!) }]);
    assert.equal((await stat(path.dirname(file))).mode & 0o077, 0, 'the auth folder is private');

    const second = await loadKeys([], dataDir);
    assert.equal(second.createdKey, undefined, 'a restart does not show or make a key');
    assert.deepEqual(second.keys, first.keys);
    assert.deepEqual(new KeyRing(second.keys).resolve(first.createdKey!), { id: 'admin', role: 'admin' });
  });

  it('uses configured keys and ignores (does not create) the generated file', async () => {
    const configured = [{ id: 'ops', role: 'admin' as const, sha256: sha256Hex('configured') }];
    const loaded = await loadKeys(configured, dataDir);
    assert.deepEqual(loaded, { keys: configured });
    await assert.rejects(stat(path.join(dataDir, 'auth', 'keys.json')), { code: 'ENOENT' });
  });

  it('refuses a damaged keys.json instead of serving without keys', async () => {
    await loadKeys([], dataDir);
    await writeFile(path.join(dataDir, 'auth', 'keys.json'), '[]');
    await assert.rejects(loadKeys([], dataDir), /holds no keys/);
    await writeFile(path.join(dataDir, 'auth', 'keys.json'), '[{"id": "admin", "role": "admin", "sha256": "short"}]');
    await assert.rejects(loadKeys([], dataDir), /lowercase hex sha256/);
  });
});
