// A skill's folder on disk: written whole into a staging folder (fsynced), moved into place with one
// rename, read back with the same rules as any package. Files get plain modes (0644, folders 0755),
// never what an archive or an umask asked for.
import { constants } from 'node:fs';
import { chmod, lstat, mkdir, open, readdir, readFile, rename, rm, rmdir } from 'node:fs/promises';
import path from 'node:path';
import type { Contracts } from '../contracts/index.js';
import type { SkillSource } from '../skill.js';
import { fsyncDir } from '../durable/index.js';
import { parseManifest, renderManifest } from './manifest.js';
import { checkContent, checkSkillFiles, MANIFEST_FILE, refusal, SizeTally, type SkillLimits } from '../skill-rules/index.js';

export const FILE_MODE = 0o644;
export const FOLDER_MODE = 0o755;

/** Creates `file`, which must not exist (O_EXCL) and is never reached through a symlink (O_NOFOLLOW). */
export async function writeNewFile(file: string, data: string | Uint8Array): Promise<void> {
  const handle = await open(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, FILE_MODE);
  try {
    await handle.writeFile(data);
    await handle.chmod(FILE_MODE);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Creates the folders of `relative` below `root` with plain modes; returns the ones it made. */
export async function makeFolders(root: string, relative: string): Promise<string[]> {
  const made: string[] = [];
  let current = root;
  for (const segment of relative.split('/').filter(Boolean)) {
    current = path.join(current, segment);
    try {
      await mkdir(current, { mode: FOLDER_MODE });
      await chmod(current, FOLDER_MODE);
      made.push(current);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || !(await lstat(current)).isDirectory()) throw error;
    }
  }
  return made;
}

/** Writes manifest.yaml and every file of a checked skill into `dir`, which must not exist yet. */
export async function writeSkillFolder(dir: string, source: SkillSource): Promise<void> {
  await mkdir(dir, { mode: FOLDER_MODE });
  await chmod(dir, FOLDER_MODE);
  const folders = new Set<string>([dir]);
  await writeNewFile(path.join(dir, MANIFEST_FILE), renderManifest(source.manifest));
  for (const [relative, text] of Object.entries(source.files)) {
    for (const made of await makeFolders(dir, path.posix.dirname(relative))) folders.add(made);
    await writeNewFile(path.join(dir, relative), text);
  }
  // Deepest first is not needed: each fsync only makes that folder's own entries durable.
  for (const folder of folders) await fsyncDir(folder);
}

export interface ReadFolderOptions {
  contracts: Contracts;
  allowImports: readonly string[];
  limits: SkillLimits;
  /** Skip __pycache__ folders (a bundled skill someone ran locally); a package that has one is refused instead. */
  skipBytecodeCaches?: boolean;
}

/** Reads a skill folder (manifest and files) and applies the package rules to it. Links and special files are refused. */
export async function readSkillFolder(dir: string, options: ReadFolderOptions): Promise<SkillSource> {
  const tally = new SizeTally(options.limits);
  const files: Record<string, string> = {};
  let manifestText: string | undefined;
  const walk = async (relative: string): Promise<void> => {
    const entries = await readdir(path.join(dir, relative), { withFileTypes: true });
    for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      const childRelative = relative ? `${relative}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (options.skipBytecodeCaches && entry.name === '__pycache__') continue;
        await walk(childRelative);
        continue;
      }
      if (!entry.isFile()) throw refusal('not-a-regular-file', `${childRelative} is a link or a special file`, childRelative);
      tally.entry();
      // Sized before it is read: a file grown on disk is refused without being loaded whole.
      tally.file(childRelative, (await lstat(path.join(dir, childRelative))).size, childRelative === MANIFEST_FILE);
      const content = checkContent(childRelative, await readFile(path.join(dir, childRelative)));
      if (childRelative === MANIFEST_FILE) manifestText = content;
      else files[childRelative] = content;
    }
  };
  await walk('');
  if (manifestText === undefined) throw refusal('missing-manifest', `${dir} has no ${MANIFEST_FILE}`, MANIFEST_FILE);
  const manifest = parseManifest(manifestText, options.contracts, options.limits, MANIFEST_FILE);
  return checkSkillFiles({ manifest, files }, options.allowImports);
}

/**
 * What a skill folder looks like on disk without reading a byte of it: every entry's path, type,
 * size, inode and change times. A file rewritten, replaced, added or removed changes it.
 */
export async function folderSignature(dir: string): Promise<string> {
  const parts: string[] = [];
  const walk = async (relative: string): Promise<void> => {
    const entries = await readdir(path.join(dir, relative), { withFileTypes: true });
    for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const child = relative ? `${relative}/${entry.name}` : entry.name;
      const info = await lstat(path.join(dir, child), { bigint: true });
      parts.push(`${child}\0${info.mode}\0${info.size}\0${info.ino}\0${info.mtimeNs}\0${info.ctimeNs}`);
      if (entry.isDirectory()) await walk(child);
    }
  };
  await walk('');
  return parts.join('\n');
}

/** Moves a folder with one rename (same file system) and makes both parents' entries durable. */
export async function moveFolder(from: string, to: string): Promise<void> {
  const skillsRoot = path.dirname(path.dirname(to));
  if ((await makeFolders(skillsRoot, path.basename(path.dirname(to)))).length > 0) await fsyncDir(skillsRoot);
  await rename(from, to);
  await fsyncDir(path.dirname(to));
  if (path.dirname(from) !== path.dirname(to)) await fsyncDir(path.dirname(from));
}

/** Moves a skill's version folder (promotion, repair) and drops the <name> folder it leaves empty. */
export async function moveSkillFolder(from: string, to: string): Promise<void> {
  await moveFolder(from, to);
  await removeIfEmpty(path.dirname(from));
}

/** Removes a folder: first out of its place in one rename (into `trash`), then its contents. */
export async function removeFolder(dir: string, trash: string): Promise<void> {
  try {
    await rename(dir, trash);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  await fsyncDir(path.dirname(dir));
  await rm(trash, { recursive: true, force: true });
  await removeIfEmpty(path.dirname(dir));
}

/** Drops a skill's <name> folder once its last version is gone. */
export async function removeIfEmpty(dir: string): Promise<void> {
  try {
    await rmdir(dir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST' && code !== 'ENOENT') throw error;
  }
}

export async function exists(file: string): Promise<boolean> {
  try {
    await lstat(file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}
