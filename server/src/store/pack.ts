// Packing a skill into a package, reproducibly: the same files give the same bytes and so the same
// sha256 — entries sorted, fixed mtime, modes, owner and no folder entries — so a registry index
// stays stable and `pack-registry` can tell that nothing changed.
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import type { SkillSource } from '../skill.js';
import { FILE_MODE } from './files.js';
import { renderManifest } from './manifest.js';
import { MANIFEST_FILE } from '../skill-rules/index.js';

const EPOCH = new Date(0);

/** Entries at the package root: manifest.yaml and the skill's files, by name. */
export function packageEntries(source: SkillSource, manifestText = renderManifest(source.manifest)): Array<[string, Buffer]> {
  const entries: Array<[string, Buffer]> = [[MANIFEST_FILE, Buffer.from(manifestText, 'utf8')]];
  for (const [name, text] of Object.entries(source.files)) entries.push([name, Buffer.from(text, 'utf8')]);
  return entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** A .tar.gz of the given entries (name -> bytes), byte for byte the same for the same input. */
export async function packEntries(entries: Array<[string, Buffer]>): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const collected = (async () => {
    for await (const chunk of pack) chunks.push(chunk as Buffer);
  })();
  for (const [name, data] of entries) {
    await new Promise<void>((resolve, reject) => {
      pack.entry({ name, size: data.length, mode: FILE_MODE, mtime: EPOCH, uid: 0, gid: 0, uname: '', gname: '', type: 'file' }, data, (error) => (error ? reject(error) : resolve()));
    });
  }
  pack.finalize();
  await collected;
  // gzip's own header carries no mtime or name from Node (both zero), so level 9 output is stable.
  return gzipSync(Buffer.concat(chunks), { level: 9 });
}

export async function packSkill(source: SkillSource, manifestText?: string): Promise<Buffer> {
  return packEntries(packageEntries(source, manifestText));
}
