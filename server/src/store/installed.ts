// installed.json: the registry of the store and its commit point. A write is acknowledged once this
// file names it; the file is replaced atomically, and a file that does not parse or does not match
// its contract stops the service rather than being taken for an empty store.
import { readFile } from 'node:fs/promises';
import type { Contracts } from '../contracts/index.js';
import { writeFileAtomic } from '../durable/index.js';
import type { SkillRecord } from './types.js';

const FORMAT = 1;

interface InstalledDocument {
  format: typeof FORMAT;
  skills: SkillRecord[];
}

export function recordKey(name: string, version: string): string {
  return `${name}@${version}`;
}

export class CorruptRegistryError extends Error {}

/** The records of installed.json, or null when there is none yet (a new data_dir). */
export async function readInstalled(file: string, contracts: Contracts): Promise<Map<string, SkillRecord> | null> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  const broken = (why: string): CorruptRegistryError =>
    new CorruptRegistryError(`${file} is corrupt (${why}); the service will not start on it. Restore it from a backup, or move the data_dir's skills/ folder away to start empty.`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw broken(error instanceof Error ? error.message : 'not JSON');
  }
  let document: InstalledDocument;
  try {
    document = contracts.assert('installed.json', parsed, file);
  } catch (error) {
    const details = (error as { details?: { errors?: Array<{ path: string; message: string }> } }).details;
    throw broken(details?.errors?.map((e) => `${e.path} ${e.message}`).join('; ') ?? String(error));
  }
  const records = new Map<string, SkillRecord>();
  for (const record of document.skills) {
    const key = recordKey(record.name, record.version);
    if (records.has(key)) throw broken(`${key} is listed twice`);
    records.set(key, record);
  }
  return records;
}

export async function writeInstalled(file: string, records: Iterable<SkillRecord>): Promise<void> {
  const skills = [...records].sort((a, b) => recordKey(a.name, a.version).localeCompare(recordKey(b.name, b.version)));
  const document: InstalledDocument = { format: FORMAT, skills };
  await writeFileAtomic(file, JSON.stringify(document, null, 2) + '\n');
}
