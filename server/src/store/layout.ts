// Where things live under <data_dir>/skills (SPEC §7). Names and versions are checked here again
// before they become path segments, so no caller can turn one into `..` by accident.
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import semver from 'semver';
import { SKILL_NAME_PATTERN } from '../skill.js';
import type { SkillStatus } from './types.js';

export const INSTALLED_FILE = 'installed.json';
export const LOCK_NAME = 'installed.json.lock';
export const DRAFTS_DIR = '_drafts';
/** Staging (extraction, writing before the move) and trash (removal after the registry dropped it). */
export const TEMP_DIR = '_tmp';

/** semver's own characters only (build metadata included): never a separator, never `..` alone. */
const FOLDER_SAFE_VERSION = /^[0-9][0-9A-Za-z.+-]{0,63}$/;

export class StoreLayout {
  readonly root: string;
  readonly installedFile: string;
  readonly lockFile: string;
  readonly draftsRoot: string;
  readonly tempRoot: string;

  constructor(dataDir: string) {
    this.root = path.join(dataDir, 'skills');
    this.installedFile = path.join(this.root, INSTALLED_FILE);
    this.lockFile = path.join(this.root, LOCK_NAME);
    this.draftsRoot = path.join(this.root, DRAFTS_DIR);
    this.tempRoot = path.join(this.root, TEMP_DIR);
  }

  /** Active skills under skills/<name>/<version>, drafts and pending reviews under skills/_drafts/. */
  parentOf(status: SkillStatus): string {
    return status === 'active' ? this.root : this.draftsRoot;
  }

  folderOf(name: string, version: string, status: SkillStatus): string {
    if (!SKILL_NAME_PATTERN.test(name)) throw new Error(`not a skill name: ${JSON.stringify(name)}`);
    if (!FOLDER_SAFE_VERSION.test(version) || semver.valid(version) === null) throw new Error(`not a version: ${JSON.stringify(version)}`);
    return path.join(this.parentOf(status), name, version);
  }

  /** A fresh folder name under _tmp (not created). */
  temporary(purpose: 'stage' | 'trash'): string {
    return path.join(this.tempRoot, `${purpose}-${Date.now().toString(36)}-${randomBytes(6).toString('hex')}`);
  }
}
