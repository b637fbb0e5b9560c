// The rules over one parsed file. String annotations are code too (typing.get_type_hints and
// functools.singledispatch evaluate them), so each is parsed and read by the same rules, its findings
// placed at the string.
import { type Report, SourceText } from './context.js';
import { checkAttributes } from './attributes.js';
import { checkFlow } from './flow.js';
import { checkImports, type ImportPolicy } from './modules.js';
import { childByField, descendants, type PythonParser, type SyntaxNode, type WorkBudget } from './parse.js';
import { checkNameReads, collectNameReads } from './scope.js';
import { checkParsedSource, checkText } from './source-checks.js';
import { UNKNOWN, stringValue } from './strings.js';

export interface ParsedFile {
  file: string;
  source: SourceText;
  root: SyntaxNode;
}

export interface AnalysisContext {
  imports: ImportPolicy;
  allowBuiltins: ReadonlySet<string>;
  parser: PythonParser;
  /** The work the whole review may do; parses past it are abandoned. */
  budget: WorkBudget;
}

/** An annotation string inside an annotation string inside …: three levels is more than any real hint. */
const MAX_ANNOTATION_NESTING = 3;
/** Real hints are a few words; a long one would be parsed without a turn for the event loop. */
const MAX_ANNOTATION_CHARS = 1000;

/** A turn for the event loop between passes: each pass over a large hostile file takes a while. */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export async function analyseFile(parsed: ParsedFile, moduleNames: ReadonlyMap<string, string>, ctx: AnalysisContext, report: Report): Promise<void> {
  await nextTurn();
  checkImports(parsed.source, parsed.root, parsed.file, ctx.imports, report);
  await nextTurn();
  checkNameReads(collectNameReads(parsed.source, parsed.root, report), ctx.allowBuiltins, report);
  await nextTurn();
  checkCode(parsed.source, parsed.root, moduleNames, ctx, report, 0);
  await nextTurn();
  checkFlow(parsed.source, parsed.root, report);
}

/** Attributes, strings and string annotations (themselves read as code, names included). */
function checkCode(source: SourceText, root: SyntaxNode, moduleNames: ReadonlyMap<string, string>, ctx: AnalysisContext, report: Report, nesting: number): void {
  checkAttributes({ source, imports: ctx.imports, moduleNames, report }, root);
  for (const node of descendants(root)) {
    if (node.type === 'string' && isEvaluatedAnnotation(source, node)) {
      checkAnnotationString(source, node, moduleNames, ctx, report, nesting + 1);
    }
  }
}

function checkAnnotationString(
  source: SourceText, node: SyntaxNode, moduleNames: ReadonlyMap<string, string>, ctx: AnalysisContext, report: Report, nesting: number,
): void {
  const at: Report = (rule, _offset, message) => report(rule, node.start, `${message} (in a string annotation)`);
  const value = stringValue(source, node);
  if (value.includes(UNKNOWN)) return at('code-from-string', 0, 'an f-string annotation: code built at run time');
  if (nesting > MAX_ANNOTATION_NESTING) return at('source-too-complex', 0, 'string annotations nested too deep');
  if (value.length > MAX_ANNOTATION_CHARS) return at('source-too-complex', 0, `a string annotation longer than ${MAX_ANNOTATION_CHARS} characters`);
  if (!checkText(value, at)) return;
  const outcome = ctx.parser.parse(value, ctx.budget);
  if (outcome.kind === 'over-budget') return at('review-budget', 0, `the review's work budget (${ctx.budget.limit} units) ran out here`);
  if (outcome.kind !== 'tree') return at('source-too-complex', 0, 'the annotation nests deeper than the parser tree allows');
  const inner = new SourceText(source.file, value);
  checkParsedSource(value, outcome.root, outcome.errors, at);
  checkNameReads(collectNameReads(inner, outcome.root, at), ctx.allowBuiltins, at);
  checkCode(inner, outcome.root, moduleNames, ctx, at, nesting);
}

/** The last name of a subscript's or generic type's head: `typing.Literal` is Literal. */
function headName(source: SourceText, node: SyntaxNode): string {
  const head = node.type === 'subscript' ? childByField(node, 'value') : node.children[0];
  if (!head) return '';
  const last = head.type === 'attribute' ? childByField(head, 'attribute') : head;
  return last ? source.of(last) : '';
}

/**
 * A string inside an annotation, which get_type_hints evaluates — except Literal's values and
 * Annotated's metadata, which it leaves as they are.
 */
function isEvaluatedAnnotation(source: SourceText, node: SyntaxNode): boolean {
  let inAnnotation = false;
  for (let up = node.parent; up; up = up.parent) {
    if (up.type === 'type') inAnnotation = true;
    if (up.type !== 'subscript' && up.type !== 'generic_type') continue;
    const head = headName(source, up);
    if (head === 'Literal') return false;
    if (head === 'Annotated') {
      const args = up.type === 'subscript' ? up.children.filter((c) => c.field === 'subscript') : (up.children[1]?.children.filter((c) => c.named) ?? []);
      if (!args[0] || !isWithin(node, args[0])) return false;
    }
  }
  return inAnnotation;
}

function isWithin(node: SyntaxNode, ancestor: SyntaxNode): boolean {
  for (let up: SyntaxNode | null = node; up; up = up.parent) if (up === ancestor) return true;
  return false;
}
