// Checks of the skill as a whole: its size, its file names, its entrypoint and handler, and what the
// manifest asks for (limits above the admin's maximum and permissions beyond the default escalate).
import type { Limits } from '../config/index.js';
import { parseOrigin } from '../egress/index.js';
import type { Manifest, SkillFiles } from '../skill.js';
import type { SourceText } from './context.js';
import { pythonName } from './modules.js';
import { childByField, type SyntaxNode } from './parse.js';
import { finding } from './rules.js';
import type { ControlPolicy, Finding } from './types.js';

const MANIFEST = 'manifest.yaml';
const MAX_PATH_DEPTH = 8;
const SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
/**
 * Data a skill may carry beside its Python sources: text formats only. Anything else could be code
 * Python loads without it being reviewed source (.pyc beside a .py, .so, .pth, .zip on the path).
 */
const DATA_EXTENSIONS = new Set([
  'txt', 'md', 'rst', 'json', 'jsonl', 'csv', 'tsv', 'yaml', 'yml', 'toml', 'ini', 'cfg', 'conf', 'xml',
  'html', 'htm', 'css', 'svg', 'tmpl', 'tpl', 'j2', 'jinja', 'dat',
]);

/** The Python files of the skill, in canonical order: those the rest of the review parses. */
export function pythonFiles(files: SkillFiles): string[] {
  return Object.keys(files).filter((file) => file.endsWith('.py') && pathProblem(file) === null).sort();
}

/** Size and count first: over the policy, nothing else is read. Returns false when the review must stop. */
export function checkSize(files: SkillFiles, policy: ControlPolicy, findings: Finding[]): boolean {
  const count = Object.keys(files).length;
  if (count > policy.max_files) {
    findings.push(finding('too-many-files', `${count} files, more than the policy's ${policy.max_files}`));
    return false;
  }
  let bytes = 0;
  for (const text of Object.values(files)) bytes += Buffer.byteLength(text, 'utf8');
  if (bytes > policy.max_code_bytes) {
    findings.push(finding('code-too-large', `${bytes} bytes of code, more than the policy's ${policy.max_code_bytes}`));
    return false;
  }
  return true;
}

function pathProblem(file: string): string | null {
  if (file.includes('\\')) return 'a backslash';
  const segments = file.split('/');
  if (segments.length > MAX_PATH_DEPTH) return `more than ${MAX_PATH_DEPTH} levels`;
  const bad = segments.find((s) => !SEGMENT.test(s) || s === '__pycache__' || /^\.+$/.test(s));
  if (bad !== undefined) return bad === '' ? 'an empty segment (absolute or doubled slash)' : `the segment ${JSON.stringify(bad)}`;
  const name = segments[segments.length - 1] as string;
  const dot = name.lastIndexOf('.');
  if (dot <= 0 || name.endsWith('.py')) return null;
  const extension = name.slice(dot + 1).toLowerCase();
  return DATA_EXTENSIONS.has(extension) ? null : `the extension .${extension}, neither Python source nor a text data format`;
}

export function checkPaths(files: SkillFiles, findings: Finding[]): void {
  for (const file of Object.keys(files).sort()) {
    const problem = pathProblem(file);
    if (problem) findings.push(finding('path-invalid', `${JSON.stringify(file)}: ${problem}; a skill holds plain relative .py and text data paths`));
  }
}

/** The entrypoint must be one of the skill's Python files. Returns it, or null after a finding. */
export function checkEntrypoint(manifest: Manifest, files: SkillFiles, findings: Finding[]): string | null {
  const entry = manifest.entrypoint;
  if (typeof entry === 'string' && entry.endsWith('.py') && pathProblem(entry) === null && Object.hasOwn(files, entry)) return entry;
  findings.push(finding('entrypoint-missing', `the entrypoint ${JSON.stringify(entry)} is not a Python file of the skill`, { file: MANIFEST, line: null, column: null }));
  return null;
}

/** The handler: a plain `def <handler>` at the top level of the entrypoint, not nested, not conditional, not async. */
export function checkHandler(manifest: Manifest, source: SourceText, root: SyntaxNode, findings: Finding[]): void {
  const handler = typeof manifest.handler === 'string' ? pythonName(manifest.handler) : '';
  const place = { file: source.file, line: null, column: null };
  if (!/^[\p{L}_][\p{L}\p{N}_]*$/u.test(handler)) {
    findings.push(finding('handler-missing', `the handler ${JSON.stringify(manifest.handler)} is not a Python name`, place));
    return;
  }
  for (const statement of root.children) {
    const definition = statement.type === 'decorated_definition' ? childByField(statement, 'definition') : statement;
    if (definition?.type !== 'function_definition') continue;
    const name = childByField(definition, 'name');
    if (!name || pythonName(source.of(name)) !== handler) continue;
    if (definition.children.some((c) => c.type === 'async')) {
      findings.push(finding('handler-missing', `${handler} is async; the harness calls a plain function`, { ...place, ...source.position(name.start) }));
    }
    return;
  }
  findings.push(finding('handler-missing', `no top-level def ${handler}(…) in ${source.file}`, place));
}

/** Limits above the admin's maximum, and permissions beyond the default, are for a human to decide. */
export function checkRequests(manifest: Manifest, maxLimits: Limits, findings: Finding[]): void {
  const place = { file: MANIFEST, line: null, column: null };
  for (const [key, value] of Object.entries(manifest.limits ?? {})) {
    const max = (maxLimits as unknown as Record<string, number | undefined>)[key];
    if (max === undefined) findings.push(finding('limits-above-max', `limits.${key}: not a limit the policy knows`, place));
    else if (typeof value !== 'number' || !(value <= max)) findings.push(finding('limits-above-max', `limits.${key} = ${String(value)}, above the maximum ${max}`, place));
  }
  for (const [key, value] of Object.entries(manifest.permissions ?? {})) {
    if (key === 'network') checkNetwork(value, findings);
    else if (value) findings.push(finding('permission-requested', `permissions.${key} = ${JSON.stringify(value)}: beyond the default`, place));
  }
}

/** Every origin must parse; any origin at all is for an admin to approve, exactly as listed. */
function checkNetwork(origins: unknown, findings: Finding[]): void {
  const place = { file: MANIFEST, line: null, column: null };
  if (!Array.isArray(origins) || origins.length === 0) return;
  const problems = origins.map((o) => parseOrigin(String(o))).filter((o): o is string => typeof o === 'string');
  for (const problem of problems) findings.push(finding('network-origin-invalid', problem, place));
  if (problems.length > 0) return;
  findings.push(finding('permission-requested', `permissions.network = ${JSON.stringify(origins)}: the skill asks to reach these origins through the broker; an admin approves exactly this list`, place));
}
