// Packs the bundled skills (skills/<name>/) into a registry folder: packages/<name>-<version>.tar.gz
// and index.json (SPEC §8). The packing is reproducible, so an unchanged skill gives the same bytes
// and the same sha256; files are only rewritten when they differ, which makes a second run a no-op.
//
//   node dist/scripts/pack-registry.js [--out <registry folder>] [--skills <skills folder>]
//
// The default --out is the configured registry (registry.url of TOOL_EXECUTOR_CONFIG) when it is a
// folder, else <data_dir>/registry.
import { readdir, readFile, rm, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../server/src/config/index.js';
import { loadContracts } from '../server/src/contracts/index.js';
import { BUNDLED_SKILLS_DIR } from '../server/src/paths.js';
import { writeFileAtomic } from '../server/src/durable/index.js';
import type { SkillLimits } from '../server/src/skill-rules/index.js';
import { bundledSkillNames } from '../server/src/store/bundled.js';
import { readSkillFolder } from '../server/src/store/files.js';
import { packSkill, packageDigest, type RegistryEntry } from '../server/src/store/index.js';

const PACKAGES_DIR = 'packages';

async function readIfExists(file: string): Promise<Buffer | undefined> {
  try {
    return await readFile(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Writes `data` unless the file already holds exactly it; returns whether it wrote. */
async function writeIfChanged(file: string, data: Buffer): Promise<boolean> {
  const current = await readIfExists(file);
  if (current?.equals(data)) return false;
  await writeFileAtomic(file, data);
  return true;
}

export async function packRegistry(options: { out: string; skillsDir: string; allowImports: readonly string[]; limits: SkillLimits }): Promise<{ entries: RegistryEntry[]; written: string[] }> {
  const contracts = loadContracts();
  await mkdir(path.join(options.out, PACKAGES_DIR), { recursive: true });
  const entries: RegistryEntry[] = [];
  const written: string[] = [];
  for (const name of await bundledSkillNames(options.skillsDir)) {
    const folder = path.join(options.skillsDir, name);
    // The same rules as an install: a bundled skill that would be refused is not packed.
    const source = await readSkillFolder(folder, { contracts, allowImports: options.allowImports, limits: options.limits, skipBytecodeCaches: true });
    const manifestText = await readFile(path.join(folder, 'manifest.yaml'), 'utf8');
    const bytes = await packSkill(source, manifestText);
    const relative = `${PACKAGES_DIR}/${name}-${source.manifest.version}.tar.gz`;
    if (await writeIfChanged(path.join(options.out, relative), bytes)) written.push(relative);
    const { version, description } = source.manifest;
    entries.push({ name, version, description, sha256: packageDigest(bytes), path: relative });
  }
  const index = Buffer.from(JSON.stringify({ format: 1, packages: entries }, null, 2) + '\n');
  if (await writeIfChanged(path.join(options.out, 'index.json'), index)) written.push('index.json');
  // Packages of skills that are no longer bundled would otherwise linger unlisted.
  const listed = new Set(entries.map((e) => path.basename(e.path)));
  for (const file of await readdir(path.join(options.out, PACKAGES_DIR))) {
    if (file.endsWith('.tar.gz') && !listed.has(file)) {
      await rm(path.join(options.out, PACKAGES_DIR, file), { force: true });
      written.push(`-${PACKAGES_DIR}/${file}`);
    }
  }
  return { entries, written };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { out: { type: 'string' }, skills: { type: 'string' } } });
  const { config } = loadConfig(loadContracts());
  const configured = /^https?:\/\//.test(config.registry.url) ? path.join(config.data_dir, 'registry') : config.registry.url;
  const out = path.resolve(values.out ?? configured);
  const { entries, written } = await packRegistry({ out, skillsDir: path.resolve(values.skills ?? BUNDLED_SKILLS_DIR), allowImports: config.control.allow_imports, limits: config.store });
  const what = written.length === 0 ? 'up to date' : `updated ${written.join(', ')}`;
  process.stdout.write(`registry ${out}: ${entries.length} packages (${entries.map((e) => `${e.name}@${e.version}`).join(', ')}), ${what}\n`);
}

// Run as a script, not when a test imports packRegistry.
if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  main().catch((error: unknown) => {
    process.stderr.write(`pack-registry: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
