// A skill registry (SPEC §8): a folder or an http(s) base URL holding index.json and the packages it
// lists. The index is read fresh on each install (it is small, and a re-packed registry must not need a
// restart); a package is read with a size bound and checked against the sha256 its index entry gives.
import { createHash } from 'node:crypto';
import { open, readFile } from 'node:fs/promises';
import path from 'node:path';
import semver from 'semver';
import type { Contracts } from '../contracts/index.js';
import { BlockedError, NotFoundError, PayloadTooLargeError, UnavailableError } from '../errors.js';

export interface RegistryEntry {
  name: string;
  version: string;
  description: string;
  sha256: string;
  path: string;
}

export interface SkillRegistry {
  /** Where it is, for messages. */
  readonly location: string;
  /** The entry for `name` at `version`, or its highest version; 404 when the registry has none. */
  resolve(name: string, version?: string): Promise<RegistryEntry>;
  /** The package bytes of an entry, checked against its sha256 (422 blocked when they differ). */
  fetch(entry: RegistryEntry): Promise<Buffer>;
}

const RETRY_AFTER_S = 30;
const INDEX_MAX_BYTES = 4 * 1024 * 1024;
const HTTP_TIMEOUT_MS = 30_000;

interface Source {
  read(relative: string, maxBytes: number): Promise<Buffer>;
}

function sha256Hex(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

function unreachable(location: string, why: string): UnavailableError {
  return new UnavailableError(`the skill registry at ${location} cannot be read: ${why}`, RETRY_AFTER_S, { registry: location });
}

function tooLarge(what: string, maxBytes: number): PayloadTooLargeError {
  return new PayloadTooLargeError(`${what} is larger than ${maxBytes} bytes`, { limit: maxBytes });
}

function folderSource(root: string): Source {
  return {
    async read(relative, maxBytes) {
      const file = path.resolve(root, relative);
      const inside = path.relative(root, file);
      if (inside.startsWith('..') || path.isAbsolute(inside)) throw new BlockedError(`registry path ${relative} leaves the registry`, { path: relative });
      let handle;
      try {
        handle = await open(file, 'r');
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        throw unreachable(root, code === 'ENOENT' ? `${relative} does not exist (npm run setup packs the bundled registry)` : String(code));
      }
      try {
        const { size } = await handle.stat();
        if (size > maxBytes) throw tooLarge(relative, maxBytes);
        return await readFile(handle);
      } finally {
        await handle.close();
      }
    },
  };
}

function httpSource(base: URL): Source {
  return {
    async read(relative, maxBytes) {
      const url = new URL(relative, base);
      let response: Response;
      try {
        response = await fetch(url, { redirect: 'error', signal: AbortSignal.timeout(HTTP_TIMEOUT_MS) });
      } catch (error) {
        throw unreachable(base.href, error instanceof Error ? error.message : String(error));
      }
      if (!response.ok || !response.body) {
        await response.body?.cancel();
        throw unreachable(base.href, `GET ${relative} answered ${response.status}`);
      }
      // Count as it arrives: Content-Length may be absent or wrong.
      const chunks: Uint8Array[] = [];
      let length = 0;
      for await (const chunk of response.body) {
        length += chunk.length;
        if (length > maxBytes) {
          await response.body.cancel().catch(() => undefined);
          throw tooLarge(relative, maxBytes);
        }
        chunks.push(chunk);
      }
      return Buffer.concat(chunks, length);
    },
  };
}

export function openRegistry(url: string, options: { contracts: Contracts; maxPackageBytes: number }): SkillRegistry {
  const isHttp = /^https?:\/\//i.test(url);
  // A trailing slash makes relative package paths resolve inside the base, not beside it.
  const source = isHttp ? httpSource(new URL(url.endsWith('/') ? url : `${url}/`)) : folderSource(path.resolve(url));

  const index = async (): Promise<RegistryEntry[]> => {
    const bytes = await source.read('index.json', INDEX_MAX_BYTES);
    let parsed: unknown;
    try {
      parsed = JSON.parse(bytes.toString('utf8'));
    } catch {
      throw unreachable(url, 'index.json is not JSON');
    }
    try {
      return options.contracts.assert('registry_index.json', parsed, `${url}/index.json`).packages;
    } catch (error) {
      throw unreachable(url, error instanceof Error ? error.message : String(error));
    }
  };

  return {
    location: url,
    async resolve(name, version) {
      const candidates = (await index()).filter((e) => e.name === name && (version === undefined || e.version === version));
      const entry = candidates.sort((a, b) => semver.rcompare(a.version, b.version))[0];
      if (!entry) throw new NotFoundError(`the registry has no ${name}${version ? `@${version}` : ''}`, { skill: name, version: version ?? null, registry: url });
      return entry;
    },
    async fetch(entry) {
      const bytes = await source.read(entry.path, options.maxPackageBytes);
      const actual = sha256Hex(bytes);
      if (actual !== entry.sha256) {
        throw new BlockedError(`package ${entry.path} does not match the sha256 of the registry index`, {
          rule: 'package-digest', expected: entry.sha256, actual, skill: entry.name, version: entry.version,
        });
      }
      return bytes;
    },
  };
}

export { sha256Hex as packageDigest };
