// Reading a skill package (.tar.gz of one skill folder, SPEC §8) that nobody vouches for. The bytes
// are inflated under a running count (a gzip bomb stops at the bound, not at the end), every tar
// entry is judged by its header before its data is read — regular files and folders only, canonical
// names inside the folder, no duplicates, bounded count and sizes — and the contents are held in
// memory until the whole package passed. Nothing touches the disk here: the caller stages the result.
import { once } from 'node:events';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import tar from 'tar-stream';
import type { Contracts } from '../contracts/index.js';
import { AppError, PayloadTooLargeError, ValidationError } from '../errors.js';
import type { SkillSource } from '../skill.js';
import { canonicalPath, checkContent, duplicateKey, MANIFEST_FILE, refusal, SizeTally, type SkillLimits } from '../skill-rules/index.js';
import { parseManifest } from './manifest.js';

/** Entry types a tar may hold and why each but the first two is refused. */
const REFUSED_TYPES: Record<string, { rule: string; what: string }> = {
  symlink: { rule: 'link', what: 'a symbolic link' },
  link: { rule: 'link', what: 'a hard link' },
  'character-device': { rule: 'device', what: 'a device node' },
  'block-device': { rule: 'device', what: 'a device node' },
  fifo: { rule: 'fifo', what: 'a FIFO' },
};

class EntryJudge {
  private readonly tally: SizeTally;
  private readonly seen = new Map<string, string>();
  readonly files = new Map<string, Buffer>();

  constructor(limits: SkillLimits) {
    this.tally = new SizeTally(limits);
  }

  /** Decides on an entry from its header alone; returns its canonical name, or null for a folder. */
  admit(header: tar.Header): string | null {
    // Folders count too: a package of nothing but folder entries is still bounded.
    this.tally.entry();
    const type = header.type ?? 'file';
    if (type !== 'file' && type !== 'directory') {
      const refused = REFUSED_TYPES[type] ?? { rule: 'entry-type', what: `a ${type} entry` };
      throw refusal(refused.rule, `${header.name} is ${refused.what}: packages hold regular files and folders only`, header.name);
    }
    const name = canonicalPath(header.name);
    if (name === '') {
      if (type === 'directory') return null;
      throw refusal('path-traversal', `a file entry names the package root (${header.name})`, header.name);
    }
    const key = duplicateKey(name);
    const earlier = this.seen.get(key);
    if (earlier !== undefined) throw refusal('duplicate-entry', `${header.name} and ${earlier} name the same entry`, header.name);
    this.seen.set(key, header.name);
    if (type === 'directory') return null;
    this.tally.file(name, header.size ?? 0, isManifestEntry(name));
    return name;
  }
}

/** manifest.yaml at the package root or in its one top-level folder (packageToSource takes either). */
function isManifestEntry(name: string): boolean {
  const segments = name.split('/');
  return segments.length <= 2 && segments[segments.length - 1] === MANIFEST_FILE;
}

/** Reads one entry's data, never more than its header announced (the parser enforces that too). */
async function readEntry(stream: AsyncIterable<Buffer>, expected: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of stream) {
    length += chunk.length;
    if (length > expected) throw refusal('entry-size', 'entry holds more data than its header says', null);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, length);
}

/** Backpressure: resumes feeding the parser when it drained, or at once when it was torn down. */
function drainedOrClosed(stream: tar.Extract): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      stream.off('drain', done);
      stream.off('close', done);
      resolve();
    };
    stream.on('drain', done);
    stream.on('close', done);
  });
}

/** Unpacks a .tar.gz into memory (canonical name -> bytes) under the limits; throws 400/413 naming the rule. */
export async function unpackPackage(gzipped: Uint8Array, limits: SkillLimits): Promise<Map<string, Buffer>> {
  if (gzipped.length > limits.max_package_bytes) {
    throw new PayloadTooLargeError(`package is larger than ${limits.max_package_bytes} bytes`, { rule: 'package-too-large', limit: limits.max_package_bytes });
  }
  // Tar headers and padding come on top of the file data: at most 1.5 KiB per entry (header, PAX).
  const maxInflated = limits.max_unpacked_bytes + limits.max_entries * 1536 + 10240;
  const judge = new EntryJudge(limits);
  const extract = tar.extract();
  let failure: unknown;
  const fail = (error: unknown): void => {
    failure ??= error;
    extract.destroy();
  };
  extract.on('error', (error: unknown) => {
    failure ??= error;
  });
  extract.on('entry', (header, stream, next) => {
    const handle = async (): Promise<void> => {
      const name = judge.admit(header);
      const data = await readEntry(stream as AsyncIterable<Buffer>, header.size ?? 0);
      if (name !== null) judge.files.set(name, data);
    };
    handle().then(() => next(), fail);
  });
  const finished = once(extract, 'finish').catch(() => undefined);

  const gunzip = createGunzip();
  Readable.from([Buffer.from(gzipped)]).pipe(gunzip);
  let inflated = 0;
  try {
    for await (const chunk of gunzip as AsyncIterable<Buffer>) {
      if (failure !== undefined) break;
      inflated += chunk.length;
      if (inflated > maxInflated) {
        throw new PayloadTooLargeError(`package inflates to more than ${maxInflated} bytes`, { rule: 'inflated-too-large', limit: maxInflated });
      }
      if (!extract.write(chunk)) await drainedOrClosed(extract);
    }
    if (failure === undefined) {
      extract.end(null);
      await finished;
    }
  } catch (error) {
    fail(error);
  } finally {
    gunzip.destroy();
  }
  if (failure !== undefined) throw asPackageError(failure);
  return judge.files;
}

/** Our refusals pass as they are; what zlib or the tar parser throw is a malformed package (400), never a 500. */
function asPackageError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new ValidationError(`package is not a valid .tar.gz: ${message}`, { rule: 'malformed-package' });
}

/**
 * The skill a package holds: manifest.yaml at the package root, or inside its one top-level folder
 * (`tar czf x.tar.gz word-count/`). Returns text files; the caller applies the skill file rules.
 */
export function packageToSource(unpacked: Map<string, Buffer>, contracts: Contracts, limits: SkillLimits): SkillSource {
  let entries = [...unpacked];
  if (!unpacked.has(MANIFEST_FILE)) {
    const tops = new Set(entries.map(([name]) => name.split('/')[0]));
    const [top] = tops;
    if (tops.size !== 1 || !unpacked.has(`${top}/${MANIFEST_FILE}`)) {
      throw refusal('missing-manifest', `package has no ${MANIFEST_FILE} at its root or in its one top-level folder`, MANIFEST_FILE);
    }
    entries = entries.map(([name, data]) => [name.slice(`${top}/`.length), data]);
  }
  const files: Record<string, string> = {};
  let manifestText = '';
  for (const [name, data] of entries) {
    const text = checkContent(name, data);
    if (name === MANIFEST_FILE) manifestText = text;
    else files[name] = text;
  }
  return { manifest: parseManifest(manifestText, contracts, limits, MANIFEST_FILE), files };
}

/** unpackPackage + packageToSource. */
export async function readPackage(gzipped: Uint8Array, contracts: Contracts, limits: SkillLimits): Promise<SkillSource> {
  return packageToSource(await unpackPackage(gzipped, limits), contracts, limits);
}
