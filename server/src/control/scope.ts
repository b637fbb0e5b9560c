// Names as Python resolves them. A builtin is refused unless the skill shadows it where CPython would
// never fall back to the builtin: a binding in the function (or enclosing function) that reads the
// name. A module- or class-level binding does not count: it may not have run yet (`eval(x)` above
// `eval = safe`), may sit in a branch that never runs, or be deleted, and lookup then reaches the
// builtin; module-level rebinding of a refused builtin therefore still leaves every read refused.
import type { Report, SourceText } from './context.js';
import { pythonName } from './modules.js';
import { childByField, type SyntaxNode } from './parse.js';
import { ESCAPE_NAMES, NAME_TAKING_BUILTINS, refusedBuiltin } from './python-tables.js';

interface Scope {
  kind: 'module' | 'class' | 'function' | 'comprehension';
  parent: Scope | null;
  locals: Set<string>;
  declaredGlobal: Set<string>;
}

export interface NameRead {
  name: string;
  node: SyntaxNode;
  /** True when a function-level binding hides the builtin of that name from this read. */
  shadowed: boolean;
}

const COMPREHENSIONS = new Set(['list_comprehension', 'set_comprehension', 'dictionary_comprehension', 'generator_expression']);
const TARGET_CONTAINERS = new Set([
  'pattern_list', 'tuple_pattern', 'list_pattern', 'tuple', 'list', 'parenthesized_expression', 'expression_list',
  'list_splat_pattern', 'list_splat', 'as_pattern_target',
]);

function newScope(kind: Scope['kind'], parent: Scope | null): Scope {
  return { kind, parent, locals: new Set(), declaredGlobal: new Set() };
}

/** Every read of a name in the tree, with whether a function-level binding shadows it. */
export function collectNameReads(source: SourceText, root: SyntaxNode, report: Report): NameRead[] {
  const reads: Array<{ name: string; node: SyntaxNode; scope: Scope }> = [];

  const bind = (node: SyntaxNode, scope: Scope): void => {
    const name = pythonName(source.of(node));
    if (ESCAPE_NAMES.has(name)) report('dunder-name', node.start, `binds ${name}: ${refusedBuiltin(name) ?? 'the implicit class cell'}`);
    scope.locals.add(name);
  };

  const bindTargets = (node: SyntaxNode, scope: Scope): void => {
    if (node.type === 'identifier') bind(node, scope);
    else if (TARGET_CONTAINERS.has(node.type)) for (const child of node.children) bindTargets(child, scope);
    else visit(node, scope);
  };

  const bindParameter = (node: SyntaxNode, inner: Scope): void => {
    if (node.type === 'identifier') bind(node, inner);
    else if (node.named) node.children.forEach((child) => bindParameter(child, inner));
  };

  /** A parameter's name binds inside the function; its annotation and default are read outside. */
  const visitParameters = (parameters: SyntaxNode | undefined, outer: Scope, inner: Scope): void => {
    for (const parameter of parameters?.children ?? []) {
      if (parameter.type === 'typed_parameter' || parameter.type === 'default_parameter' || parameter.type === 'typed_default_parameter') {
        for (const part of parameter.children) {
          if (part.field === 'type' || part.field === 'value') visit(part, outer);
          else bindParameter(part, inner);
        }
      } else bindParameter(parameter, inner);
    }
  };

  const visit = (node: SyntaxNode, scope: Scope): void => {
    switch (node.type) {
      case 'identifier':
        reads.push({ name: pythonName(source.of(node)), node, scope });
        return;
      case 'function_definition':
      case 'lambda': {
        const name = childByField(node, 'name');
        if (name) bind(name, scope);
        const inner = newScope('function', scope);
        visitParameters(childByField(node, 'parameters'), scope, inner);
        for (const part of node.children) {
          if (part.field === 'body') visit(part, inner);
          else if (part.field === 'return_type' || part.field === 'type_parameters') visit(part, scope);
        }
        return;
      }
      case 'class_definition': {
        const name = childByField(node, 'name');
        if (name) bind(name, scope);
        for (const part of node.children) {
          if (part.field === 'body') visit(part, newScope('class', scope));
          else if (part.field === 'superclasses' || part.field === 'type_parameters') visit(part, scope);
        }
        return;
      }
      case 'named_expression': {
        let target = scope;
        while (target.kind === 'comprehension' && target.parent) target = target.parent;
        const name = childByField(node, 'name');
        if (name) bind(name, target);
        const value = childByField(node, 'value');
        if (value) visit(value, scope);
        return;
      }
      case 'assignment':
      case 'augmented_assignment':
      case 'for_statement':
      case 'for_in_clause':
        for (const part of node.children) {
          if (part.field === 'left') bindTargets(part, scope);
          else visit(part, scope);
        }
        return;
      case 'as_pattern':
        for (const part of node.children) {
          if (part.field === 'alias') bindTargets(part, scope);
          else visit(part, scope);
        }
        return;
      case 'delete_statement':
        node.children.forEach((part) => bindTargets(part, scope));
        return;
      case 'import_statement':
      case 'import_from_statement':
        for (const item of node.children.filter((c) => c.field === 'name')) {
          const alias = item.type === 'aliased_import' ? childByField(item, 'alias') : undefined;
          const first = (alias ? undefined : item.type === 'dotted_name' ? item : childByField(item, 'name'))?.children[0];
          const bound = alias ?? first;
          if (bound) bind(bound, scope);
        }
        return;
      case 'global_statement':
      case 'nonlocal_statement':
        for (const name of node.children.filter((c) => c.type === 'identifier')) {
          if (node.type === 'global_statement') scope.declaredGlobal.add(pythonName(source.of(name)));
          bind(name, scope);
        }
        return;
      case 'keyword_argument':
        for (const part of node.children) if (part.field !== 'name') visit(part, scope);
        return;
      case 'attribute':
        for (const part of node.children) if (part.field === 'object') visit(part, scope);
        return;
      case 'keyword_pattern':
        node.children.slice(1).forEach((part) => visit(part, scope));
        return;
      default:
        if (COMPREHENSIONS.has(node.type)) return visitComprehension(node, scope);
        for (const child of node.children) if (child.named) visit(child, scope);
    }
  };

  /** The first iterable is read in the enclosing scope; the rest in the comprehension's own. */
  const visitComprehension = (node: SyntaxNode, scope: Scope): void => {
    const inner = newScope('comprehension', scope);
    let first = true;
    for (const part of node.children) {
      if (part.type === 'for_in_clause') {
        for (const piece of part.children) {
          if (piece.field === 'left') bindTargets(piece, inner);
          else if (piece.named) visit(piece, first ? scope : inner);
        }
        first = false;
      } else if (part.named) visit(part, inner);
    }
  };

  visit(root, newScope('module', null));
  return reads.map(({ name, node, scope }) => ({ name, node, shadowed: isShadowed(name, scope) }));
}

function isShadowed(name: string, scope: Scope): boolean {
  for (let s: Scope | null = scope; s; s = s.parent) {
    if (s.kind === 'module') return false;
    if (s.kind === 'class') continue;
    if (s.declaredGlobal.has(name)) return false;
    if (s.locals.has(name)) return true;
  }
  return false;
}

/** dangerous-builtin, dunder-name, and getattr and its kin handed around as values. */
export function checkNameReads(reads: readonly NameRead[], allowBuiltins: ReadonlySet<string>, report: Report): void {
  for (const { name, node, shadowed } of reads) {
    if (shadowed || allowBuiltins.has(name)) continue;
    const why = refusedBuiltin(name);
    if (why !== null) report('dangerous-builtin', node.start, `${name}: ${why}`);
    else if (ESCAPE_NAMES.has(name)) report('dunder-name', node.start, `${name}: the implicit class cell, a first step to the class's namespace`);
    else if (NAME_TAKING_BUILTINS.has(name) && !(node.field === 'function' && node.parent?.type === 'call')) {
      report('dynamic-attribute-name', node.start, `${name} passed as a value: the attribute names it will read are not known before it runs`);
    }
  }
}
