// Checks of the skill as a whole: its size, its file names, its entrypoint and handler, and what the
// manifest asks for (limits above the admin's maximum and permissions beyond the default escalate).
import type { Limits } from '../config/index.js';
import { parseOrigin } from '../egress/index.js';
import type { Manifest, SkillFiles } from '../skill.js';
import { fileNameProblem, isImportableEntrypoint, MANIFEST_FILE, shadowedModules } from '../skill-rules/index.js';
import type { SourceText } from './context.js';
import { pythonName } from './modules.js';
import { childByField, type SyntaxNode } from './parse.js';
import { finding } from './rules.js';
import type { ControlPolicy, Finding } from './types.js';

const MANIFEST = MANIFEST_FILE;

/** The Python files of the skill, in canonical order: those the rest of the review parses. */
export function pythonFiles(files: SkillFiles, allowImports: readonly string[]): string[] {
  const shadowed = shadowedModules(allowImports);
  return Object.keys(files).filter((file) => file.endsWith('.py') && fileNameProblem(file, shadowed) === null).sort();
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

/** The store's own name rules (skill-rules/), so a skill the store accepts never fails here for its names. */
export function checkPaths(files: SkillFiles, allowImports: readonly string[], findings: Finding[]): void {
  const shadowed = shadowedModules(allowImports);
  for (const file of Object.keys(files).sort()) {
    const problem = fileNameProblem(file, shadowed);
    if (problem) findings.push(finding('path-invalid', `${JSON.stringify(file)}: ${problem}`));
  }
}

/** The entrypoint must be one of the skill's Python files. Returns it, or null after a finding. */
export function checkEntrypoint(manifest: Manifest, files: SkillFiles, findings: Finding[]): string | null {
  const entry = manifest.entrypoint;
  if (typeof entry === 'string' && isImportableEntrypoint(entry) && Object.hasOwn(files, entry)) return entry;
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
