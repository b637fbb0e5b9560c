// Allowed but suspicious: loops with no way out, recursion, ranges too long to finish in a time limit.
// None of these can escape; the container's limits end them. They are shown so an author sees why a
// run timed out before it does.
import type { Report, SourceText } from './context.js';
import { pythonName } from './modules.js';
import { childByField, descendants, type SyntaxNode } from './parse.js';

const LOOPS = new Set(['while_statement', 'for_statement']);
const NEW_FRAMES = new Set(['function_definition', 'lambda', 'class_definition']);
const EXITS = new Set(['return_statement', 'raise_statement', 'yield']);
/** A range this long does not finish within any time limit the policy allows. */
const LARGE_RANGE = 10n ** 8n;

export function checkFlow(source: SourceText, root: SyntaxNode, report: Report): void {
  for (const node of descendants(root)) {
    if (node.type === 'while_statement' && isAlwaysTrue(source, childByField(node, 'condition')) && !hasExit(childByField(node, 'body'))) {
      report('unbounded-loop', node.start, 'a `while True` loop with no break, return, raise or yield at its level: it only ends at the time limit');
    } else if (node.type === 'function_definition') {
      checkRecursion(source, node, report);
    } else if (node.type === 'call') {
      checkRange(source, node, report);
    }
  }
}

function isAlwaysTrue(source: SourceText, condition: SyntaxNode | undefined): boolean {
  if (!condition) return false;
  if (condition.type === 'parenthesized_expression') return isAlwaysTrue(source, condition.children.find((c) => c.named));
  if (condition.type === 'true') return true;
  return condition.type === 'integer' && constantInteger(source, condition) !== 0n;
}

/**
 * Whether a loop body leaves the loop: a break of this loop (not of a nested one, though a nested
 * loop's `else` belongs to this one), or a return, raise or yield anywhere outside nested definitions.
 */
function hasExit(node: SyntaxNode | undefined, inNestedLoop = false): boolean {
  for (const child of node?.children ?? []) {
    if (child.type === 'break_statement') {
      if (!inNestedLoop) return true;
    } else if (EXITS.has(child.type)) {
      return true;
    } else if (LOOPS.has(child.type)) {
      // the nested loop's breaks are its own; its else clause runs at this loop's level
      if (child.children.some((part) => hasExit(part, inNestedLoop || part.type !== 'else_clause'))) return true;
    } else if (!NEW_FRAMES.has(child.type) && hasExit(child, inNestedLoop)) {
      return true;
    }
  }
  return false;
}

/** A function that calls itself by name (or as self.name / cls.name): shown, recursion is ordinary. */
function checkRecursion(source: SourceText, definition: SyntaxNode, report: Report): void {
  const nameNode = childByField(definition, 'name');
  const body = childByField(definition, 'body');
  if (!nameNode || !body) return;
  const name = pythonName(source.of(nameNode));
  for (const node of descendants(body)) {
    if (node.type !== 'call') continue;
    const callee = childByField(node, 'function');
    const called = callee?.type === 'identifier' ? callee : callee?.type === 'attribute' ? selfAttribute(source, callee) : undefined;
    if (called && pythonName(source.of(called)) === name) {
      report('recursive-function', nameNode.start, `${name} calls itself: the interpreter's recursion limit (about 1000 frames) ends deep recursion`);
      return;
    }
  }
}

function selfAttribute(source: SourceText, attribute: SyntaxNode): SyntaxNode | undefined {
  const object = childByField(attribute, 'object');
  const receiver = object ? source.of(object) : '';
  return receiver === 'self' || receiver === 'cls' ? childByField(attribute, 'attribute') : undefined;
}

function checkRange(source: SourceText, call: SyntaxNode, report: Report): void {
  const callee = childByField(call, 'function');
  if (callee?.type !== 'identifier' || source.of(callee) !== 'range') return;
  const args = childByField(call, 'arguments');
  for (const arg of args?.children ?? []) {
    const value = constantInteger(source, arg);
    if (value !== null && (value >= LARGE_RANGE || -value >= LARGE_RANGE)) {
      report('large-range', arg.start, `range over ${value} numbers: it does not finish within a time limit`);
      return;
    }
  }
}

/** A constant integer expression of literals, + - * ** <<, or null. */
function constantInteger(source: SourceText, node: SyntaxNode): bigint | null {
  if (node.type === 'integer') {
    const text = source.of(node).replace(/_/g, '').toLowerCase();
    if (/^0[0-7]+$/.test(text)) return null; // not Python 3
    try {
      return BigInt(text);
    } catch {
      return null;
    }
  }
  if (node.type === 'parenthesized_expression') {
    const inner = node.children.find((c) => c.named);
    return inner ? constantInteger(source, inner) : null;
  }
  if (node.type === 'unary_operator' && node.children.length === 2) {
    const value = constantInteger(source, node.children[1] as SyntaxNode);
    return value === null ? null : source.of(node.children[0] as SyntaxNode) === '-' ? -value : value;
  }
  if (node.type !== 'binary_operator') return null;
  const [left, operator, right] = node.children;
  if (!left || !operator || !right) return null;
  const a = constantInteger(source, left);
  const b = a === null ? null : constantInteger(source, right);
  if (a === null || b === null) return null;
  switch (source.of(operator)) {
    case '+': return a + b;
    case '-': return a - b;
    case '*': return a * b;
    case '**': return b >= 0n && b <= 64n ? a ** b : null;
    case '<<': return b >= 0n && b <= 64n ? a << b : null;
    default: return null;
  }
}
