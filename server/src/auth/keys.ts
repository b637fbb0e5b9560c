// API keys: only their sha256 is kept. With no key configured, the first start creates one admin key,
// stores its hash in <data_dir>/auth/keys.json and hands the key to the caller to print once.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { KeyConfig } from '../config/index.js';
import { writeFileAtomic } from '../durable/index.js';
import type { Actor } from './index.js';

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

const SHA256_HEX = /^[0-9a-f]{64}$/;
const ROLES = new Set<string>(['client', 'author', 'admin']);

/** Refuses, at start-up, key lists that could fail or mislead at request time. */
function checkKeys(keys: KeyConfig[], source: string): void {
  const seen = new Map<string, string>();
  for (const key of keys) {
    if (typeof key?.id !== 'string' || !ROLES.has(key.role) || typeof key.sha256 !== 'string' || !SHA256_HEX.test(key.sha256)) {
      throw new Error(`${source}: every key needs an id, a role (client, author, admin) and a lowercase hex sha256`);
    }
    // One key with two ids would be audited under whichever came first.
    const other = seen.get(key.sha256);
    if (other !== undefined) throw new Error(`${source}: keys ${other} and ${key.id} have the same sha256`);
    seen.set(key.sha256, key.id);
  }
}

export class KeyRing {
  private hashes: Array<{ key: KeyConfig; digest: Buffer }>;

  constructor(keys: KeyConfig[]) {
    checkKeys(keys, 'auth.keys');
    this.hashes = keys.map((key) => ({ key, digest: Buffer.from(key.sha256, 'hex') }));
  }

  /** Compares against every key in constant time, so timing tells nothing about which one nearly matched. */
  resolve(presented: string): Actor | null {
    const digest = createHash('sha256').update(presented, 'utf8').digest();
    let found: KeyConfig | null = null;
    for (const entry of this.hashes) {
      if (timingSafeEqual(digest, entry.digest) && !found) found = entry.key;
    }
    return found ? { id: found.id, role: found.role } : null;
  }

  has(id: string): boolean {
    return this.hashes.some((entry) => entry.key.id === id);
  }

  /** Takes effect for the next request; refuses an id or a hash the ring holds already. */
  add(key: KeyConfig): void {
    if (this.has(key.id)) throw new Error(`a key with id ${key.id} exists already`);
    const keys = [...this.hashes.map((entry) => entry.key), key];
    checkKeys(keys, 'keys');
    this.hashes = [...this.hashes, { key, digest: Buffer.from(key.sha256, 'hex') }];
  }

  /** The key fails from the next request on. */
  remove(id: string): void {
    this.hashes = this.hashes.filter((entry) => entry.key.id !== id);
  }
}

/** A new random key: what a caller is shown once; only its sha256 is kept. */
export function newApiKey(): string {
  return `te_${randomBytes(24).toString('base64url')}`;
}

/** The configured keys, or the generated admin key of this data_dir (created on first start). */
export async function loadKeys(configured: KeyConfig[], dataDir: string): Promise<{ keys: KeyConfig[]; createdKey?: string }> {
  if (configured.length > 0) return { keys: configured };
  const file = path.join(dataDir, 'auth', 'keys.json');
  try {
    const keys = JSON.parse(await readFile(file, 'utf8')) as KeyConfig[];
    if (!Array.isArray(keys) || keys.length === 0) throw new Error(`${file} holds no keys; remove it to create a new admin key`);
    checkKeys(keys, file);
    return { keys };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const createdKey = newApiKey();
  const keys: KeyConfig[] = [{ id: 'admin', role: 'admin', sha256: sha256Hex(createdKey) }];
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  await writeFileAtomic(file, JSON.stringify(keys, null, 2) + '\n');
  return { keys, createdKey };
}
