// The skill store (SPEC §7): installed.json is the registry and the commit point; active skills live
// under skills/<name>/<version>/, drafts, pending reviews and rejected (blocked) ones under
// skills/_drafts/<name>/<version>/.
// Every write stages its files under skills/_tmp/, moves them into place with one rename, and only
// then rewrites installed.json atomically, all under the store lock; start-up reconciles whatever a
// crash left half-way (reconcile.ts).
import { mkdir, rm } from 'node:fs/promises';
import semver from 'semver';
import type { Logger } from 'winston';
import type { Config } from '../config/index.js';
import type { Contracts } from '../contracts/index.js';
import type { ControlPolicy } from '../control/index.js';
import { ConflictError, NotFoundError } from '../errors.js';
import type { SkillSource } from '../skill.js';
import { preinstallBundled } from './bundled.js';
import { exists, folderSignature, moveFolder, moveSkillFolder, readSkillFolder, removeFolder, writeSkillFolder } from './files.js';
import { renderManifest } from './manifest.js';
import { readInstalled, recordKey, writeInstalled } from './installed.js';
import { StoreLayout } from './layout.js';
import { StoreLock } from './lock.js';
import { reconcile } from './reconcile.js';
import { checkSkillFiles, MANIFEST_FILE, SizeTally } from '../skill-rules/index.js';
import type { CommitMeta, DecisionFacts, SkillRecord, SkillReviewer, SkillStatus, SkillStore, StagedSkill, StoredSkill } from './types.js';

export type * from './types.js';

export interface SkillStoreDeps {
  config: Pick<Config, 'data_dir' | 'registry' | 'store'>;
  contracts: Contracts;
  control: SkillReviewer;
  policy: { controlPolicy(): ControlPolicy };
  logger: Logger;
  /** Where bundled skills come from (tests point it elsewhere); default: the project's skills/. */
  bundledDir?: string;
  /** Keep skills read from disk in memory while their folder is unchanged (default true; the bench turns it off to compare). */
  memoryCache?: boolean;
}

/** A skill as last read from its folder, with the folder's signature then. */
interface CachedRead {
  signature: string;
  source: SkillSource;
}

/** A staging folder under _tmp/ with the checked skill it holds. */
class Staging implements StagedSkill {
  committed = false;
  constructor(
    readonly dir: string,
    readonly manifest: SkillSource['manifest'],
    readonly files: SkillSource['files'],
  ) {}

  async discard(): Promise<void> {
    if (!this.committed) await rm(this.dir, { recursive: true, force: true });
  }
}

function byNameThenVersion(a: SkillRecord, b: SkillRecord): number {
  return a.name.localeCompare(b.name) || semver.compare(a.version, b.version);
}

class FileSkillStore implements SkillStore {
  private records = new Map<string, SkillRecord>();
  private readonly lock: StoreLock;
  private readonly watchers = new Set<() => void>();
  private readonly reads = new Map<string, CachedRead>();

  constructor(
    private readonly layout: StoreLayout,
    private readonly deps: SkillStoreDeps,
  ) {
    this.lock = new StoreLock(layout.installedFile, layout.lockFile, deps.logger);
  }

  /** Reconciles the folders with installed.json, or on a new data_dir preinstalls the bundled skills. */
  async open(): Promise<void> {
    const { layout, deps } = this;
    for (const dir of [layout.root, layout.draftsRoot, layout.tempRoot]) await mkdir(dir, { recursive: true, mode: 0o755 });
    await this.lock.run(async () => {
      const existing = await readInstalled(layout.installedFile, deps.contracts);
      const records = existing ?? new Map<string, SkillRecord>();
      if (!existing) deps.logger.info('store: new data_dir, no installed.json yet', { root: layout.root });
      const { changed } = await reconcile(layout, records, deps.logger);
      if (!existing) {
        // One commit for every preinstalled skill: a crash before it leaves a data_dir that is still new.
        for (const record of await preinstallBundled({ ...deps, layout })) records.set(recordKey(record.name, record.version), record);
      }
      if (!existing || changed) await writeInstalled(layout.installedFile, records.values());
      this.records = records;
    });
  }

  list(): SkillRecord[] {
    return [...this.records.values()].sort(byNameThenVersion);
  }

  find(name: string, version?: string): SkillRecord | undefined {
    if (version !== undefined) return this.records.get(recordKey(name, version));
    return this.list().filter((r) => r.name === name).sort((a, b) => semver.rcompare(a.version, b.version))[0];
  }

  /**
   * Reads a skill from its folder, or from memory when the folder's signature (names, sizes, inodes,
   * change times) is the one it had when last read: a file changed on disk is read again, and its new
   * digest is what the run's second look compares.
   */
  async read(record: SkillRecord): Promise<StoredSkill> {
    const folder = this.layout.folderOf(record.name, record.version, record.status);
    const allowImports = this.allowImports();
    const signature = this.deps.memoryCache === false ? null : `${JSON.stringify(allowImports)}\n${await folderSignature(folder)}`;
    const cached = this.reads.get(folder);
    if (signature !== null && cached?.signature === signature) return { ...structuredClone(cached.source), record };
    const source = await readSkillFolder(folder, { contracts: this.deps.contracts, allowImports, limits: this.deps.config.store });
    if (signature !== null) this.reads.set(folder, { signature, source: structuredClone(source) });
    return { ...source, record };
  }

  async stage(source: SkillSource): Promise<StagedSkill> {
    // Schemas that would stall or crash a run are refused before anything is stored; first, as their
    // size bound also bounds the time the manifest takes to render just below.
    for (const field of ['input_schema', 'output_schema'] as const) {
      if (source.manifest[field] !== undefined) this.deps.contracts.compile(source.manifest[field], field);
    }
    // The same bounds readSkillFolder applies: what is staged here can always be read back.
    const tally = new SizeTally(this.deps.config.store);
    tally.entry();
    tally.file(MANIFEST_FILE, Buffer.byteLength(renderManifest(source.manifest), 'utf8'), true);
    const checked = checkSkillFiles(source, this.allowImports(), tally);
    const dir = this.layout.temporary('stage');
    try {
      await writeSkillFolder(dir, checked);
    } catch (error) {
      await rm(dir, { recursive: true, force: true });
      throw error;
    }
    return new Staging(dir, checked.manifest, checked.files);
  }

  async commit(staged: StagedSkill, meta: CommitMeta): Promise<SkillRecord> {
    if (!(staged instanceof Staging)) throw new Error('commit() takes what stage() of this store returned');
    try {
      return await this.lock.run(async () => {
        await this.reload();
        const { name, version } = staged.manifest;
        const key = recordKey(name, version);
        if (this.records.has(key)) {
          throw new ConflictError(`skill ${key} exists already`, { skill: name, version, status: this.records.get(key)!.status });
        }
        const now = new Date().toISOString();
        const record: SkillRecord = {
          name, version, status: meta.status, description: staged.manifest.description, tags: staged.manifest.tags ?? [],
          origin: meta.origin, digest: meta.digest, review: meta.review, created_at: now, updated_at: now,
          ...(meta.created_by !== undefined ? { created_by: meta.created_by } : {}),
        };
        const target = this.layout.folderOf(name, version, meta.status);
        // A folder no record names is the leftover of a failed write of this process: not ours to keep.
        if (await exists(target)) await removeFolder(target, this.layout.temporary('trash'));
        await moveFolder(staged.dir, target);
        staged.committed = true;
        const next = new Map(this.records).set(key, record);
        try {
          await writeInstalled(this.layout.installedFile, next.values());
        } catch (error) {
          await removeFolder(target, this.layout.temporary('trash')).catch(() => undefined);
          throw error;
        }
        this.publish(next);
        return record;
      });
    } finally {
      await staged.discard();
    }
  }

  async add(source: SkillSource, meta: CommitMeta): Promise<SkillRecord> {
    return this.commit(await this.stage(source), meta);
  }

  async setStatus(name: string, version: string, status: SkillStatus, decided: DecisionFacts = {}): Promise<SkillRecord> {
    return this.lock.run(async () => {
      await this.reload();
      const key = recordKey(name, version);
      const current = this.records.get(key);
      if (!current) throw new NotFoundError(`no skill ${key}`, { skill: name, version });
      if (current.status === status) return current;
      const record: SkillRecord = { ...current, ...decided, status, updated_at: new Date().toISOString() };
      const from = this.layout.folderOf(name, version, current.status);
      const to = this.layout.folderOf(name, version, status);
      // Folder first, record second: a crash between leaves the folder where the old record does not
      // look, and reconcile moves it back (the change was never acknowledged).
      if (from !== to) await moveSkillFolder(from, to);
      this.reads.delete(from);
      const next = new Map(this.records).set(key, record);
      try {
        await writeInstalled(this.layout.installedFile, next.values());
      } catch (error) {
        if (from !== to) await moveSkillFolder(to, from).catch(() => undefined);
        throw error;
      }
      this.publish(next);
      return record;
    });
  }

  async remove(name: string, version?: string): Promise<Array<{ name: string; version: string }>> {
    return this.lock.run(async () => {
      await this.reload();
      const doomed = [...this.records.values()].filter((r) => r.name === name && (version === undefined || r.version === version));
      if (doomed.length === 0) return [];
      const next = new Map(this.records);
      for (const record of doomed) next.delete(recordKey(record.name, record.version));
      // Record first, folders second: once installed.json no longer names them they are garbage that
      // reconcile deletes, should the process die before it does.
      await writeInstalled(this.layout.installedFile, next.values());
      this.publish(next);
      for (const record of doomed) {
        this.reads.delete(this.layout.folderOf(record.name, record.version, record.status));
        await removeFolder(this.layout.folderOf(record.name, record.version, record.status), this.layout.temporary('trash'));
      }
      return doomed.sort(byNameThenVersion).map((r) => ({ name: r.name, version: r.version }));
    });
  }

  async close(): Promise<void> {
    // Waits for writes in flight; the file lock is only ever held during one.
    await this.lock.run(async () => undefined);
  }

  /** Takes a new set of records (already on disk) and tells the watchers. */
  private publish(next: Map<string, SkillRecord>): void {
    this.records = next;
    for (const watcher of this.watchers) watcher();
  }

  watch(onChange: () => void): () => void {
    this.watchers.add(onChange);
    return () => this.watchers.delete(onChange);
  }

  /** Another process on this data_dir may have written since; the file is the truth under the lock. */
  private async reload(): Promise<void> {
    const current = await readInstalled(this.layout.installedFile, this.deps.contracts);
    if (current) this.records = current;
  }

  private allowImports(): string[] {
    return this.deps.policy.controlPolicy().allow_imports;
  }
}

export async function openSkillStore(deps: SkillStoreDeps): Promise<SkillStore> {
  const store = new FileSkillStore(new StoreLayout(deps.config.data_dir), deps);
  await store.open();
  return store;
}

export { readPackage } from './extract.js';
export { refusePrototypeKeys } from './manifest.js';
export { packSkill } from './pack.js';
export { openRegistry, packageDigest, type RegistryEntry, type SkillRegistry } from './registry.js';
