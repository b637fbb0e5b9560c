// One review: the skill as a whole first (size before anything is read), then every Python file —
// text checks, parse, source checks — then the rules over each parsed file with the imports of all of
// them known, then the handler. One work budget (parser operations and tree nodes, never time) bounds
// every parse of the review: past it the review ESCALATEs, the same way on any machine under any load.
import { createHash } from 'node:crypto';
import type { SkillFiles, SkillSource } from '../skill.js';
import { analyseFile, type AnalysisContext, type ParsedFile } from './analysis.js';
import { type Report, SourceText } from './context.js';
import { ImportPolicy, SkillModules, importBindings } from './modules.js';
import { type PythonParser, WorkBudget } from './parse.js';
import { capFindings, decide, finding } from './rules.js';
import { checkEntrypoint, checkHandler, checkPaths, checkRequests, checkSize, pythonFiles } from './skill-checks.js';
import { checkParsedSource, checkText } from './source-checks.js';
import type { ControlPolicy, Finding, Review } from './types.js';

/** Four times what an ordinary skill at the default max_code_bytes (256 KiB) needs (parse.ts). */
export const DEFAULT_REVIEW_WORK = 2_000_000;
/** Enough to show an author everything wrong with an honest skill; a hostile one gets a count. */
const MAX_FINDINGS = 200;

/** sha256 over the files in canonical order (paths sorted), as JSON, so no two file sets share a text. */
export function digestFiles(files: SkillFiles): string {
  const entries = Object.keys(files).sort().map((file) => [file, files[file]]);
  return `sha256:${createHash('sha256').update(JSON.stringify(entries), 'utf8').digest('hex')}`;
}

/** Findings of one file, placed by line and column; the same finding at the same place is kept once. */
function reporterFor(source: SourceText, findings: Finding[], seen: Set<string>): Report {
  return (rule, at, message) => {
    const { line, column } = source.position(at);
    const key = `${rule}\0${line}\0${column}\0${message}`;
    if (seen.has(key)) return;
    seen.add(key);
    findings.push(finding(rule, message, { file: source.file, line, column }));
  };
}

/** Skill-level findings first, then file by file, line by line. */
function inReadingOrder(findings: Finding[]): Finding[] {
  const key = (f: Finding): [string, number, number] => [f.file ?? '', f.line ?? 0, f.column ?? 0];
  return [...findings].sort((a, b) => {
    const [fa, la, ca] = key(a);
    const [fb, lb, cb] = key(b);
    return fa < fb ? -1 : fa > fb ? 1 : la - lb || ca - cb;
  });
}

export async function reviewSkill(parser: PythonParser, skill: SkillSource, policy: ControlPolicy): Promise<Review> {
  const budget = new WorkBudget(policy.max_review_work ?? DEFAULT_REVIEW_WORK);
  const { manifest, files } = skill;
  const findings: Finding[] = [];
  const conclude = (): Review => ({ decision: decide(findings), findings: capFindings(inReadingOrder(findings), MAX_FINDINGS), digest: digestFiles(files) });

  if (!checkSize(files, policy, findings)) return conclude();
  checkPaths(files, policy.allow_imports, findings);
  const entrypoint = checkEntrypoint(manifest, files, findings);
  checkRequests(manifest, policy.max_limits, findings);

  const sources = pythonFiles(files, policy.allow_imports);
  const skillModules = new SkillModules(sources);
  const ctx: AnalysisContext = {
    imports: new ImportPolicy(policy.allow_imports, skillModules),
    allowBuiltins: new Set(policy.allow_builtins),
    parser,
    budget,
  };
  const seen = new Set<string>();
  const parsed: ParsedFile[] = [];
  for (const file of sources) {
    const source = new SourceText(file, files[file] as string);
    const report = reporterFor(source, findings, seen);
    if (!checkText(source.text, report)) continue;
    const outcome = parser.parse(source.text, budget);
    if (outcome.kind === 'over-budget') report('review-budget', 0, `the review's work budget (${budget.limit} units) ran out while parsing this file: a human decides`);
    else if (outcome.kind === 'too-deep') report('source-too-complex', outcome.at, 'nested deeper than the parser tree allows');
    else {
      checkParsedSource(source.text, outcome.root, outcome.errors, report);
      // A tree with errors is the parser's guess: the file is refused for them, and no rule reads the guess.
      if (outcome.errors.length === 0) parsed.push({ file, source, root: outcome.root });
    }
  }

  const moduleNamesOf = new Map<string, Map<string, string>>();
  for (const { file, source, root } of parsed) {
    const bound = importBindings(source, root, file, ctx.imports);
    moduleNamesOf.set(file, bound);
    skillModules.bindings.set(SkillModules.moduleOfFile(file), bound);
  }
  for (const file of parsed) {
    await analyseFile(file, moduleNamesOf.get(file.file) ?? new Map(), ctx, reporterFor(file.source, findings, seen));
  }
  const entry = parsed.find((file) => file.file === entrypoint);
  if (entry) checkHandler(manifest, entry.source, entry.root, findings);
  return conclude();
}
