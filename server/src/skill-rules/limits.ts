// How big a skill may be on its way in and on disk (config `store:`). One set of bounds for every way
// a skill arrives — create, generate, an uploaded or registry package, the bundled folder — and for
// the store reading it back, so what was accepted is always readable.
import { PayloadTooLargeError } from '../errors.js';

export interface SkillLimits {
  /** Compressed size of a package (an upload or a registry download). */
  max_package_bytes: number;
  /** Files of one skill (a package's tar entries, folders included). */
  max_entries: number;
  /** Sum of the file sizes of one skill, manifest included. */
  max_unpacked_bytes: number;
  /** Size of one file. */
  max_file_bytes: number;
  /** Size of manifest.yaml as the store writes it. */
  max_manifest_bytes: number;
}

export const DEFAULT_SKILL_LIMITS: SkillLimits = {
  max_package_bytes: 8 * 1024 * 1024,
  max_entries: 256,
  max_unpacked_bytes: 16 * 1024 * 1024,
  max_file_bytes: 2 * 1024 * 1024,
  max_manifest_bytes: 64 * 1024,
};

/** Counts files and bytes as they come, refusing at the first one over a bound (413 naming the rule). */
export class SizeTally {
  private entries = 0;
  private bytes = 0;

  constructor(private readonly limits: SkillLimits) {}

  /** One entry (file or folder) of the skill. */
  entry(): void {
    if (++this.entries > this.limits.max_entries) {
      throw new PayloadTooLargeError(`a skill holds at most ${this.limits.max_entries} entries`, { rule: 'too-many-entries', limit: this.limits.max_entries });
    }
  }

  /** One file's size, the manifest's included; `name` is its canonical name. */
  file(name: string, size: number, manifest = false): void {
    const max = manifest ? this.limits.max_manifest_bytes : this.limits.max_file_bytes;
    if (size > max) {
      const rule = manifest ? 'manifest-too-large' : 'file-too-large';
      throw new PayloadTooLargeError(`${name} is ${size} bytes, more than ${max}`, { rule, path: name, limit: max });
    }
    this.bytes += size;
    if (this.bytes > this.limits.max_unpacked_bytes) {
      throw new PayloadTooLargeError(`the skill's files add up to more than ${this.limits.max_unpacked_bytes} bytes`, { rule: 'unpacked-too-large', limit: this.limits.max_unpacked_bytes });
    }
  }
}
