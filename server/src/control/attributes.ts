// Attribute reads, wherever they stand: `x.attr`, match class patterns (`case C(__class__=c)`) and
// value patterns (`case x.__class__`), attribute names passed as strings (getattr and kin,
// operator.attrgetter), strings that name an escape attribute, and str.format fields that walk attributes.
import type { Report, SourceText } from './context.js';
import { type ImportPolicy, pythonName } from './modules.js';
import { childByField, descendants, type SyntaxNode } from './parse.js';
import { NAME_TAKING_CALLS, escapeAttributeReason, isDunder } from './python-tables.js';
import { type FieldStep, UNKNOWN, constantString, formatFieldPaths } from './strings.js';

export interface AttributeContext {
  source: SourceText;
  imports: ImportPolicy;
  /** Names bound to modules by this file's imports. */
  moduleNames: ReadonlyMap<string, string>;
  report: Report;
}

/** The module an expression is, when it is a module name or a chain of module attributes. */
function moduleOf(ctx: AttributeContext, node: SyntaxNode): string | null {
  if (node.type === 'identifier') return ctx.moduleNames.get(pythonName(ctx.source.of(node))) ?? null;
  if (node.type !== 'attribute') return null;
  const object = childByField(node, 'object');
  const attribute = childByField(node, 'attribute');
  const module = object ? moduleOf(ctx, object) : null;
  return module && attribute ? ctx.imports.attributeModule(module, pythonName(ctx.source.of(attribute))) : null;
}

export function checkAttributes(ctx: AttributeContext, root: SyntaxNode): void {
  const handledNames = new Set<SyntaxNode>();
  const exceptionNames = exceptClauseNames(ctx.source, root);
  for (const node of descendants(root)) {
    switch (node.type) {
      case 'attribute':
        checkAttributeNode(ctx, node);
        checkExceptionObject(ctx, node, exceptionNames);
        break;
      case 'keyword_pattern': {
        const name = node.children[0];
        if (name) checkAttributeName(ctx, pythonName(ctx.source.of(name)), name.start);
        break;
      }
      case 'dotted_name':
        if (node.parent?.type === 'case_pattern' || node.parent?.type === 'class_pattern') {
          node.children.filter((c) => c.type === 'identifier').slice(1)
            .forEach((part) => checkAttributeName(ctx, pythonName(ctx.source.of(part)), part.start));
        }
        break;
      case 'call':
        checkNameTakingCall(ctx, node, handledNames);
        checkGetattrObj(ctx, node, exceptionNames);
        checkWrapperNames(ctx, node);
        checkFieldPathCall(ctx, node);
        checkImportCall(ctx, node);
        break;
      case 'string':
        checkStringExpression(ctx, maximalConstant(ctx.source, node), handledNames);
        break;
    }
  }
}

/** Names bound by `except … as name` anywhere in the file. */
function exceptClauseNames(source: SourceText, root: SyntaxNode): Set<string> {
  const names = new Set<string>();
  for (const node of descendants(root)) {
    if (node.type !== 'as_pattern_target' || node.parent?.parent?.type !== 'except_clause') continue;
    const name = node.children.find((c) => c.type === 'identifier');
    if (name) names.add(pythonName(source.of(name)));
  }
  return names;
}

const EXCEPTION_OBJECT_WHY = 'AttributeError.obj hands back the real object a failed lookup was made on (the runner answers None)';

/** `error.obj` where `error` was bound by an except clause. */
function checkExceptionObject(ctx: AttributeContext, node: SyntaxNode, exceptionNames: ReadonlySet<string>): void {
  const object = childByField(node, 'object');
  const attribute = childByField(node, 'attribute');
  if (object?.type !== 'identifier' || !attribute || pythonName(ctx.source.of(attribute)) !== 'obj') return;
  const name = pythonName(ctx.source.of(object));
  if (exceptionNames.has(name)) ctx.report('exception-object', attribute.start, `${name}.obj: ${EXCEPTION_OBJECT_WHY}`);
}

/** `getattr(error, 'obj')` where `error` was bound by an except clause. */
function checkGetattrObj(ctx: AttributeContext, call: SyntaxNode, exceptionNames: ReadonlySet<string>): void {
  const parts = callParts(ctx, call);
  if (parts?.callName !== 'getattr' && parts?.callName !== 'attrgetter') return;
  const [target, name] = parts.callName === 'getattr' ? parts.positional : [null, parts.positional[0]];
  if (!name || constantString(ctx.source, name) !== 'obj') return;
  if (target && (target.type !== 'identifier' || !exceptionNames.has(pythonName(ctx.source.of(target))))) return;
  ctx.report('exception-object', name.start, `${parts.callName}(…, 'obj'): ${EXCEPTION_OBJECT_WHY}`);
}

/** The attribute names update_wrapper and wraps copy have their defaults, or constant public names. */
const WRAPPER_DEFAULT_NAMES = new Set(['__module__', '__name__', '__qualname__', '__doc__', '__dict__', '__annotations__']);

function checkWrapperNames(ctx: AttributeContext, call: SyntaxNode): void {
  const parts = callParts(ctx, call);
  if (parts?.callName !== 'update_wrapper' && parts?.callName !== 'wraps') return;
  const firstNamesArg = parts.callName === 'update_wrapper' ? 2 : 1;
  const args = childByField(call, 'arguments');
  const keyword = (args?.children ?? []).filter((c) => c.type === 'keyword_argument')
    .filter((c) => ['assigned', 'updated'].includes(pythonName(ctx.source.of(childByField(c, 'name') ?? c))))
    .map((c) => childByField(c, 'value'))
    .filter((v): v is SyntaxNode => v !== undefined);
  for (const names of [...parts.positional.slice(firstNamesArg), ...keyword]) {
    const items = names.type === 'tuple' || names.type === 'list' ? names.children.filter((c) => c.named && c.type !== 'comment') : null;
    const constants = items?.map((item) => constantString(ctx.source, item));
    if (!constants || constants.some((value) => value === null || value.includes(UNKNOWN))) {
      dynamicName(ctx, parts.callName, names);
      continue;
    }
    for (const value of constants as string[]) {
      const why = WRAPPER_DEFAULT_NAMES.has(value) ? null : refusedNameReason(value);
      if (why) ctx.report('getattr-name', names.start, `${parts.callName}(…, ${JSON.stringify(value)}): ${why}`);
    }
  }
}

/**
 * string.Formatter().get_field(path, args, kwargs) walks a field path like str.format: a constant one
 * meets the string rules below, a computed one is the facade's to check.
 */
function checkFieldPathCall(ctx: AttributeContext, call: SyntaxNode): void {
  const parts = callParts(ctx, call);
  const path = parts?.callName === 'get_field' ? parts.positional[0] : undefined;
  if (!path) return;
  const value = constantString(ctx.source, path);
  if (value === null || value.includes(UNKNOWN)) dynamicName(ctx, 'get_field', path);
}

function checkAttributeName(ctx: AttributeContext, name: string, at: number): void {
  const escape = escapeAttributeReason(name);
  if (escape) ctx.report(escape.rule, at, `.${name}: ${escape.why}`);
}

function checkAttributeNode(ctx: AttributeContext, node: SyntaxNode): void {
  const object = childByField(node, 'object');
  const attribute = childByField(node, 'attribute');
  if (!object || !attribute) return;
  const name = pythonName(ctx.source.of(attribute));
  const module = moduleOf(ctx, object);
  if (module) ctx.imports.checkAttribute(module, name, attribute.start, ctx.report);
  else checkAttributeName(ctx, name, attribute.start);
}

/** Why a name given as a string to getattr and kin is refused: escapes, and every `_` name. */
function refusedNameReason(name: string): string | null {
  const escape = escapeAttributeReason(name);
  if (escape) return escape.why;
  return name.startsWith('_') && !isDunder(name) ? 'a private name' : null;
}

/** getattr(x, '__class__'), operator.attrgetter('a.__globals__'), obj.__setattr__('__class__', c) … */
function checkNameTakingCall(ctx: AttributeContext, call: SyntaxNode, handled: Set<SyntaxNode>): void {
  const parts = callParts(ctx, call);
  const spec = parts ? NAME_TAKING_CALLS.get(parts.callName) : undefined;
  if (!parts || !spec) return;
  const { callName, positional } = parts;
  const candidates = spec.nameArgs === 'first' ? positional.slice(0, 1) : spec.nameArgs === 'second' ? positional.slice(1, 2) : positional;
  let literals = 0;
  for (const arg of candidates) {
    handled.add(arg);
    const value = arg.type === 'list_splat' || arg.type === 'dictionary_splat' ? null : constantString(ctx.source, arg);
    if (value === null || value.includes(UNKNOWN)) {
      if (spec.nameArgs !== 'any-literal') dynamicName(ctx, callName, arg);
      continue;
    }
    literals++;
    for (const name of spec.dotted ? value.split('.') : [value]) {
      const why = refusedNameReason(name);
      if (why) ctx.report('getattr-name', arg.start, `${callName}(…, ${JSON.stringify(value)}): ${why}`);
    }
    // getattr(json, 'codecs') is json.codecs
    const module = spec.nameArgs === 'second' && positional[0] ? moduleOf(ctx, positional[0]) : null;
    if (module && !spec.dotted) ctx.imports.checkAttribute(module, value, arg.start, ctx.report);
  }
  if (spec.nameArgs === 'any-literal' && literals === 0 && candidates.length > 0) dynamicName(ctx, callName, call);
}

function dynamicName(ctx: AttributeContext, callName: string, at: SyntaxNode): void {
  ctx.report('dynamic-attribute-name', at.start, `${callName} with a name computed at run time: the in-container guard checks it`);
}

/** The positional arguments of a call, and the last name of what it calls (`importlib.import_module` is import_module). */
function callParts(ctx: AttributeContext, call: SyntaxNode): { callName: string; positional: SyntaxNode[] } | null {
  const callee = childByField(call, 'function');
  const nameNode = callee?.type === 'attribute' ? childByField(callee, 'attribute') : callee;
  const args = childByField(call, 'arguments');
  if (!nameNode || nameNode.type !== 'identifier' || !args || args.type !== 'argument_list') return null;
  const positional = args.children.filter((c) => c.named && c.type !== 'keyword_argument' && c.type !== 'comment');
  return { callName: pythonName(ctx.source.of(nameNode)), positional };
}

/** Where an admin permits __import__ or importlib, a module named by a constant still meets the import rule. */
function checkImportCall(ctx: AttributeContext, call: SyntaxNode): void {
  const parts = callParts(ctx, call);
  if (!parts || (parts.callName !== '__import__' && parts.callName !== 'import_module') || !parts.positional[0]) return;
  const module = constantString(ctx.source, parts.positional[0]);
  if (module !== null && !module.includes(UNKNOWN) && !module.startsWith('.') && !ctx.imports.allows(module)) {
    ctx.report('import-not-allowed', call.start, `${parts.callName}(${JSON.stringify(module)}): not in the allowed imports and not a file of the skill`);
  }
}

/** The largest constant string expression a string literal is part of (`'__cl' + 'ass__'`). */
function maximalConstant(source: SourceText, node: SyntaxNode): SyntaxNode {
  let top = node;
  for (let up = node.parent; up; up = up.parent) {
    if (up.type === 'concatenated_string' || up.type === 'parenthesized_expression') top = up;
    else if (up.type === 'binary_operator' && constantString(source, up) !== null) top = up;
    else break;
  }
  return top;
}

const DOTTED_NAME = /^[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*$/;
/** A format field's name on its own, as string.Formatter().get_field takes it: `0.__class__`, `x[_k]`. */
const FIELD_NAME = /^\w*(?:\.[A-Za-z_]\w*|\[[^\]]*\])+$/;

/**
 * A string that is exactly an escape attribute's name (`reduce(getattr, ['__class__', …])`,
 * `__match_args__ = ('__globals__',)`) or a field path, or a format template whose fields walk to one.
 */
function checkStringExpression(ctx: AttributeContext, node: SyntaxNode, handled: Set<SyntaxNode>): void {
  if (handled.has(node)) return;
  handled.add(node);
  const value = constantString(ctx.source, node);
  if (value === null) return;
  for (const piece of value.split(UNKNOWN)) {
    const trimmed = piece.trim();
    if (DOTTED_NAME.test(trimmed)) {
      const escape = trimmed.split('.').map((name) => ({ name, escape: escapeAttributeReason(name) })).find((n) => n.escape);
      if (escape) ctx.report('escape-name-string', node.start, `the string ${JSON.stringify(trimmed)} names ${escape.name}: ${escape.escape?.why}`);
    } else if (FIELD_NAME.test(trimmed)) {
      const step = refusedStep(formatFieldPaths(`{${trimmed}}`)[0] ?? []);
      if (step) ctx.report('escape-name-string', node.start, `the string ${JSON.stringify(trimmed)} is a field path that reads ${step}`);
    }
  }
  if (!value.includes('{')) return;
  for (const path of formatFieldPaths(value)) {
    const step = refusedStep(path);
    if (step) ctx.report('format-field-attribute', node.start, `a format field reads ${step}: str.format walks it like getattr`);
  }
}

/** The first step of a field path that getattr's rules refuse, shown as written, or null. */
function refusedStep(path: readonly FieldStep[]): string | null {
  const step = path.find((s) => (s.kind === 'attribute' ? refusedNameReason(s.name) : s.name.startsWith('_')));
  if (!step) return null;
  return step.kind === 'attribute' ? `.${step.name}` : `[${step.name}]`;
}
