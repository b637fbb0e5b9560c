// Reading a manifest.yaml that a stranger wrote: bounded size and aliases (no billion laughs), the
// YAML 1.2 core schema with no custom tags (an unknown tag is an error, not a string), no keys that
// reach into prototypes, and the manifest contract.
import YAML from 'yaml';
import type { Contracts } from '../contracts/index.js';
import type { Manifest } from '../skill.js';
import { refusal, SizeTally, type SkillLimits } from '../skill-rules/index.js';

const MAX_ALIASES = 32;
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** Throws when any object at any depth has a key that could reach a prototype once merged or copied. */
export function refusePrototypeKeys(value: unknown, where: string, trail = ''): void {
  if (Array.isArray(value)) {
    value.forEach((item, index) => refusePrototypeKeys(item, where, `${trail}/${index}`));
    return;
  }
  if (typeof value !== 'object' || value === null) return;
  for (const key of Object.keys(value)) {
    if (FORBIDDEN_KEYS.has(key)) throw refusal('forbidden-key', `${where}: the key ${key} is not allowed (at ${trail || '/'})`, where);
    refusePrototypeKeys((value as Record<string, unknown>)[key], where, `${trail}/${key}`);
  }
}

export function parseManifest(text: string, contracts: Contracts, limits: SkillLimits, where = 'manifest.yaml'): Manifest {
  new SizeTally(limits).file(where, Buffer.byteLength(text, 'utf8'), true);
  const document = YAML.parseDocument(text, { schema: 'core', customTags: [], uniqueKeys: true, prettyErrors: false });
  const problems = [...document.errors, ...document.warnings];
  if (problems.length > 0) {
    throw refusal('manifest-yaml', `${where} is not valid YAML: ${problems.map((p) => p.message.split('\n')[0]).join('; ')}`, where);
  }
  let value: unknown;
  try {
    value = document.toJS({ maxAliasCount: MAX_ALIASES });
  } catch (error) {
    throw refusal('manifest-yaml', `${where}: ${error instanceof Error ? error.message : String(error)}`, where);
  }
  refusePrototypeKeys(value, where);
  // Plain JSON from here on: no null prototypes, no Dates or Maps that YAML could produce.
  return contracts.assert('manifest.json', JSON.parse(JSON.stringify(value ?? null)), where);
}

/** The manifest as the store writes it: keys in the contract's order, plain YAML. */
export function renderManifest(manifest: Manifest): string {
  return YAML.stringify(manifest, { aliasDuplicateObjects: false, lineWidth: 0 });
}
