// Start-up repair: after a crash at any point, make the folders agree with installed.json, which is
// the commit point of every write (the order of operations is in ./README.md):
//   - everything under _tmp/ is an unfinished staging or a removal already committed: deleted;
//   - a version folder that installed.json does not name is an add that never committed, or a
//     removal that committed before its folder went: deleted;
//   - a record whose folder sits at the other status's place is a status change that moved the
//     folder but did not commit: the folder moves back to where the record says;
//   - a record with no folder anywhere cannot come from a crash of this store (folders are in place
//     before the record is written); someone deleted it by hand. The record is dropped, loudly,
//     because a skill without files can neither run nor be reviewed.
import { lstat, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'winston';
import { SKILL_NAME_PATTERN } from '../skill.js';
import { fsyncDir } from '../durable/index.js';
import { exists, moveSkillFolder, removeIfEmpty } from './files.js';
import { DRAFTS_DIR, INSTALLED_FILE, LOCK_NAME, TEMP_DIR, type StoreLayout } from './layout.js';
import type { SkillRecord } from './types.js';

export interface Reconciliation {
  /** True when records were dropped: installed.json must be rewritten. */
  changed: boolean;
}

async function listDir(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

async function clearTemporaries(layout: StoreLayout, logger: Logger): Promise<void> {
  for (const entry of await listDir(layout.tempRoot)) {
    await rm(path.join(layout.tempRoot, entry), { recursive: true, force: true });
    logger.info('store: removed an unfinished staging or removal', { path: path.join(layout.tempRoot, entry) });
  }
  // writeFileAtomic's temporaries of installed.json: a write that never reached its rename.
  for (const entry of await listDir(layout.root)) {
    if (entry.startsWith(`.${INSTALLED_FILE}.`) && entry.endsWith('.tmp')) await rm(path.join(layout.root, entry), { force: true });
  }
}

async function repairRecords(layout: StoreLayout, records: Map<string, SkillRecord>, logger: Logger): Promise<boolean> {
  let changed = false;
  for (const [key, record] of records) {
    const expected = layout.folderOf(record.name, record.version, record.status);
    if (await exists(expected)) continue;
    const otherStatus = record.status === 'active' ? 'draft' : 'active';
    const other = layout.folderOf(record.name, record.version, otherStatus);
    if (await exists(other)) {
      await moveSkillFolder(other, expected);
      logger.warn('store: moved a skill folder back to where installed.json places it (an unfinished status change)', { skill: key, status: record.status });
      continue;
    }
    records.delete(key);
    changed = true;
    logger.error('store: installed.json named a skill whose folder is gone; dropped it from the registry', { skill: key, status: record.status, folder: expected });
  }
  return changed;
}

/** Deletes version folders (and then empty name folders) under `parent` that no record places there. */
async function removeUnnamedFolders(parent: string, wanted: ReadonlySet<string>, reserved: ReadonlySet<string>, logger: Logger): Promise<void> {
  for (const name of await listDir(parent)) {
    if (reserved.has(name)) continue;
    const nameDir = path.join(parent, name);
    if (!SKILL_NAME_PATTERN.test(name) || !(await lstat(nameDir)).isDirectory()) {
      logger.warn('store: left alone an entry that is not the store\'s', { path: nameDir });
      continue;
    }
    let removed = false;
    for (const version of await listDir(nameDir)) {
      const folder = path.join(nameDir, version);
      if (wanted.has(folder)) continue;
      await rm(folder, { recursive: true, force: true });
      removed = true;
      logger.warn('store: removed a skill folder that installed.json does not name (an uncommitted add or a committed removal)', { path: folder });
    }
    if (removed) await fsyncDir(nameDir);
    await removeIfEmpty(nameDir);
  }
}

export async function reconcile(layout: StoreLayout, records: Map<string, SkillRecord>, logger: Logger): Promise<Reconciliation> {
  await clearTemporaries(layout, logger);
  const changed = await repairRecords(layout, records, logger);
  const wanted = new Set([...records.values()].map((r) => layout.folderOf(r.name, r.version, r.status)));
  await removeUnnamedFolders(layout.root, wanted, new Set([INSTALLED_FILE, LOCK_NAME, DRAFTS_DIR, TEMP_DIR]), logger);
  await removeUnnamedFolders(layout.draftsRoot, wanted, new Set(), logger);
  await fsyncDir(layout.root);
  return { changed };
}
