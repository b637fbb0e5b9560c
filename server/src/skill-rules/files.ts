// What a skill may hold (SPEC §8), for packages, created and generated skills, the bundled ones and
// the control layer's review alike: Python sources and plain text data under canonical relative
// names — no compiled or native code, nothing Python loads by itself (.pth, sitecustomize), nothing
// that shadows a module the skill or the harness imports. Every refusal names its rule, so a test and
// an author can see exactly what caught a file.
import path from 'node:path';
import { ValidationError } from '../errors.js';
import type { SkillSource } from '../skill.js';
import type { SizeTally } from './limits.js';
import { PYTHON_STDLIB_MODULES } from './stdlib.js';

export const MANIFEST_FILE = 'manifest.yaml';
const MAX_DEPTH = 8;
const MAX_SEGMENT_CHARS = 128;
/** Letters and digits of any script, then also combining marks, `_ . + -`: no spaces, quotes, slashes or controls. */
const SEGMENT = /^[\p{L}\p{N}_][\p{L}\p{N}\p{M}_.+-]*$/u;

/** Extensions of code Python or the loader runs without it being Python source. */
const FORBIDDEN_EXTENSIONS = new Set(['.pyc', '.pyo', '.pyd', '.so', '.dylib', '.dll', '.exe', '.pth', '.egg', '.whl', '.zip']);
/** Modules the interpreter imports on its own at start-up when they are on the path. */
const AUTO_IMPORTED = new Set(['sitecustomize', 'usercustomize']);

/** Magic numbers of executable and loadable formats: the content decides, whatever the name says. */
const NATIVE_MAGIC: Array<{ format: string; bytes: number[] }> = [
  { format: 'ELF', bytes: [0x7f, 0x45, 0x4c, 0x46] },
  { format: 'Mach-O', bytes: [0xfe, 0xed, 0xfa, 0xce] },
  { format: 'Mach-O', bytes: [0xfe, 0xed, 0xfa, 0xcf] },
  { format: 'Mach-O', bytes: [0xce, 0xfa, 0xed, 0xfe] },
  { format: 'Mach-O', bytes: [0xcf, 0xfa, 0xed, 0xfe] },
  { format: 'Mach-O universal / Java class', bytes: [0xca, 0xfe, 0xba, 0xbe] },
  { format: 'PE/MZ', bytes: [0x4d, 0x5a] },
  { format: 'WebAssembly', bytes: [0x00, 0x61, 0x73, 0x6d] },
  { format: 'zip (zipimport)', bytes: [0x50, 0x4b, 0x03, 0x04] },
];

export function refusal(rule: string, message: string, file: string | null): ValidationError {
  return new ValidationError(message, { rule, path: file });
}

/**
 * The one name a path inside a skill is known by: NFC, no `./` prefix, no trailing slash. Absolute
 * paths, `..`, `.`, empty segments, backslashes and control characters are refused, not repaired.
 * Returns '' for the skill's root folder itself (a `./` entry).
 */
export function canonicalPath(raw: string): string {
  if (/[\u0000-\u001f\u007f\\]/.test(raw)) throw refusal('path-characters', 'path holds a control character or a backslash', raw);
  let name = raw.normalize('NFC');
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name)) throw refusal('path-absolute', `absolute path ${raw}`, raw);
  while (name.startsWith('./')) name = name.slice(2);
  name = name.replace(/\/+$/, '');
  if (name === '' || name === '.') return '';
  const segments = name.split('/');
  if (segments.length > MAX_DEPTH) throw refusal('path-depth', `path deeper than ${MAX_DEPTH} folders`, raw);
  for (const segment of segments) {
    if (segment === '..' || segment === '.' || segment === '') throw refusal('path-traversal', `path ${raw} has an empty, '.' or '..' segment`, raw);
    // As a key of the files object it would reach the prototype instead of naming a file.
    if (segment === '__proto__') throw refusal('path-name', `path ${raw} uses the name __proto__`, raw);
    if (segment.length > MAX_SEGMENT_CHARS || !SEGMENT.test(segment)) {
      throw refusal('path-name', `path segment ${JSON.stringify(segment)} is not a plain name (letters, digits, _ . + -, not starting with a dot)`, raw);
    }
  }
  // Belt and braces: whatever the checks above missed, the result must stay inside the folder.
  const root = path.resolve('/skill');
  const relative = path.relative(root, path.resolve(root, name));
  if (relative === '' || relative.startsWith('..') || path.isAbsolute(relative)) throw refusal('path-traversal', `path ${raw} leaves the skill folder`, raw);
  return name;
}

/** Names that are the same file on a case-insensitive or normalising file system are one name. */
export function duplicateKey(canonical: string): string {
  return canonical.normalize('NFC').toLowerCase();
}

/** Top-level names a skill may not take: the standard library and the admin's allowlisted modules. */
export function shadowedModules(allowImports: readonly string[]): Set<string> {
  const names = new Set([...PYTHON_STDLIB_MODULES].map((n) => n.toLowerCase()));
  for (const module of allowImports) names.add(module.split('.')[0]!.toLowerCase());
  return names;
}

/** Rules that a name alone decides (for files; `isFolder` for folder entries). */
export function checkPath(canonical: string, shadowed: ReadonlySet<string>, isFolder = false): void {
  const segments = canonical.split('/');
  if (segments.includes('__pycache__')) throw refusal('bytecode', 'a skill may not hold __pycache__', canonical);
  const top = segments[0]!;
  // A folder shadows a package of its name; a top-level file only when Python would import it (.py).
  const topModule = segments.length > 1 || isFolder ? top.toLowerCase() : /\.py$/i.test(top) ? top.slice(0, -3).toLowerCase() : null;
  if (topModule !== null && shadowed.has(topModule)) {
    throw refusal('shadows-module', `${canonical} would shadow the module ${topModule} (standard library or allowlisted)`, canonical);
  }
  if (isFolder) return;
  const extension = path.posix.extname(canonical).toLowerCase();
  if (FORBIDDEN_EXTENSIONS.has(extension)) throw refusal('forbidden-file-type', `${extension} files are not allowed in a skill`, canonical);
  const stem = path.posix.basename(canonical, path.posix.extname(canonical)).toLowerCase();
  if (AUTO_IMPORTED.has(stem)) throw refusal('auto-imported', `${path.posix.basename(canonical)} would be imported by Python on its own`, canonical);
}

/** Rules that the bytes decide: no native code, no binary, valid UTF-8. Returns the text. */
export function checkContent(canonical: string, bytes: Uint8Array): string {
  for (const magic of NATIVE_MAGIC) {
    if (bytes.length >= magic.bytes.length && magic.bytes.every((b, i) => bytes[i] === b)) {
      throw refusal('native-code', `${canonical} is ${magic.format}, not Python source or text`, canonical);
    }
  }
  if (bytes.includes(0)) throw refusal('binary-file', `${canonical} holds NUL bytes: only text files are allowed`, canonical);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw refusal('binary-file', `${canonical} is not UTF-8 text`, canonical);
  }
}

/** `manifest.yaml`, or a folder of that name (`manifest.yaml/a`): the store writes the manifest there. */
function takesManifestName(name: string): boolean {
  return name.split('/')[0] === MANIFEST_FILE;
}

/** The name rules alone, as a sentence for a finding, or null when `name` is a file name a skill may hold as it is. */
export function fileNameProblem(name: string, shadowed: ReadonlySet<string>): string | null {
  try {
    const canonical = canonicalPath(name);
    if (canonical !== name) return `not in its canonical form ${JSON.stringify(canonical)}`;
    if (takesManifestName(name)) return `${MANIFEST_FILE} is the manifest's name`;
    checkPath(name, shadowed);
    return null;
  } catch (error) {
    if (error instanceof ValidationError) return error.message;
    throw error;
  }
}

/** The entrypoint is a Python file the harness can import: `.py`, every folder and the stem an ASCII identifier. */
export function isImportableEntrypoint(entrypoint: string): boolean {
  if (!entrypoint.endsWith('.py')) return false;
  return entrypoint.slice(0, -3).split('/').every((part) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(part));
}

/**
 * Applies every rule to a skill given as text (create, generate, the bundled folder): canonical
 * unique names, the path and content rules, the entrypoint among the files, and each file's size
 * counted by `tally` when given. Returns the files under their canonical names.
 */
export function checkSkillFiles(source: SkillSource, allowImports: readonly string[], tally?: SizeTally): SkillSource {
  const shadowed = shadowedModules(allowImports);
  const seen = new Map<string, string>();
  const files: Record<string, string> = {};
  const folders = new Set<string>();
  for (const [raw, text] of Object.entries(source.files)) {
    const name = canonicalPath(raw);
    if (name === '' || takesManifestName(name)) throw refusal('reserved-name', `${raw || '(empty)'} is not a file name a skill may use`, raw);
    const key = duplicateKey(name);
    if (seen.has(key)) throw refusal('duplicate-entry', `${raw} and ${seen.get(key)} name the same file`, raw);
    seen.set(key, raw);
    checkPath(name, shadowed);
    const bytes = Buffer.from(text, 'utf8');
    tally?.entry();
    tally?.file(name, bytes.length);
    checkContent(name, bytes);
    const parts = name.split('/');
    for (let i = 1; i < parts.length; i++) folders.add(duplicateKey(parts.slice(0, i).join('/')));
    files[name] = text;
  }
  for (const folder of folders) {
    if (seen.has(folder)) throw refusal('file-folder-clash', `${seen.get(folder)} is a file and a folder at once`, seen.get(folder)!);
  }
  const { entrypoint } = source.manifest;
  if (!Object.hasOwn(files, entrypoint) || !isImportableEntrypoint(entrypoint)) {
    throw refusal('missing-entrypoint', `the entrypoint ${entrypoint} is not an importable Python file of the skill`, entrypoint);
  }
  return { manifest: source.manifest, files };
}
