// String literals as CPython evaluates them: escapes decoded (`'\x5f\x5fclass\x5f\x5f'` is
// `__class__`), adjacent literals and `+` of literals folded, f-string holes kept as unknown. Names
// hidden this way are then checked like written ones.
import type { SourceText } from './context.js';
import type { SyntaxNode } from './parse.js';

/** Stands for the part of a value only known at run time (an f-string hole): no name contains it. */
export const UNKNOWN = '\uFFFF';

/** `\N{...}` names of the characters a Python name or a format field is made of; any other is not ASCII. */
const NAMED_CHARACTERS = new Map<string, string>([
  ['LOW LINE', '_'], ['FULL STOP', '.'], ['SPACE', ' '], ['COLON', ':'], ['EXCLAMATION MARK', '!'],
  ['LEFT CURLY BRACKET', '{'], ['RIGHT CURLY BRACKET', '}'], ['LEFT SQUARE BRACKET', '['], ['RIGHT SQUARE BRACKET', ']'],
  ...['ZERO', 'ONE', 'TWO', 'THREE', 'FOUR', 'FIVE', 'SIX', 'SEVEN', 'EIGHT', 'NINE'].map((digit, i): [string, string] => [`DIGIT ${digit}`, String(i)]),
  ...Array.from({ length: 26 }, (_, i): Array<[string, string]> => {
    const letter = String.fromCharCode(65 + i);
    return [[`LATIN CAPITAL LETTER ${letter}`, letter], [`LATIN SMALL LETTER ${letter}`, letter.toLowerCase()]];
  }).flat(),
]);

const SIMPLE_ESCAPES: Record<string, string> = {
  '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v',
};

const ESCAPE = /\\(\r\n|\n|[\\'"abfnrtv]|[0-7]{1,3}|x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|N\{[^}]*\}|[^])/g;

function decodeEscapes(raw: string, bytes: boolean): string {
  return raw.replace(ESCAPE, (whole, escape: string) => {
    if (escape === '\n' || escape === '\r\n') return '';
    const simple = SIMPLE_ESCAPES[escape];
    if (simple !== undefined) return simple;
    if (/^[0-7]/.test(escape)) return String.fromCharCode(parseInt(escape, 8));
    if (escape[0] === 'x') return String.fromCharCode(parseInt(escape.slice(1), 16));
    if (bytes) return whole; // \u, \U and \N are plain text in bytes
    if (escape[0] === 'u' || escape[0] === 'U') {
      const code = parseInt(escape.slice(1), 16);
      return code <= 0x10ffff ? String.fromCodePoint(code) : '\uFFFD';
    }
    if (escape[0] === 'N') return NAMED_CHARACTERS.get(escape.slice(2, -1).toUpperCase()) ?? '\uFFFD';
    return whole; // an unknown escape keeps its backslash
  });
}

/** The value of one `string` node; f-string holes become UNKNOWN. */
export function stringValue(source: SourceText, node: SyntaxNode): string {
  const opening = node.children[0];
  const prefix = opening ? source.of(opening).replace(/['"]+$/, '').toLowerCase() : '';
  const raw = prefix.includes('r');
  const formatted = prefix.includes('f');
  const bytes = prefix.includes('b');
  let value = '';
  for (const part of node.children) {
    if (part.type === 'interpolation') value += UNKNOWN;
    else if (part.type === 'string_content') {
      let text = source.of(part);
      if (formatted) text = text.replace(/\{\{/g, '{').replace(/\}\}/g, '}');
      value += raw ? text : decodeEscapes(text, bytes);
    }
  }
  return value;
}

/** The value of a constant string expression (literals, implicit concatenation, `+`), or null. */
export function constantString(source: SourceText, node: SyntaxNode): string | null {
  switch (node.type) {
    case 'string':
      return stringValue(source, node);
    case 'concatenated_string':
      return node.children.filter((c) => c.type === 'string').map((c) => stringValue(source, c)).join('');
    case 'parenthesized_expression': {
      const inner = node.children.find((c) => c.named && c.type !== 'comment');
      return inner ? constantString(source, inner) : null;
    }
    case 'binary_operator': {
      const [left, operator, right] = node.children;
      if (!left || !right || !operator || source.of(operator) !== '+') return null;
      const a = constantString(source, left);
      const b = a === null ? null : constantString(source, right);
      return a === null || b === null ? null : a + b;
    }
    default:
      return null;
  }
}

/** One step of a format field's path: `.name` (an attribute) or `[key]` (an index). */
export interface FieldStep {
  kind: 'attribute' | 'index';
  name: string;
}

/**
 * The paths of the replacement fields of a `str.format` template, nested ones in format specs
 * included: `'{0.__class__}'` gives [[{attribute, __class__}]]. Mirrors CPython's
 * Objects/stringlib/unicode_format.h closely enough to find every `.` and `[`.
 */
export function formatFieldPaths(template: string): FieldStep[][] {
  const paths: FieldStep[][] = [];
  scanTemplate(template, 0, template.length, paths, 0);
  return paths;
}

function scanTemplate(s: string, from: number, to: number, paths: FieldStep[][], depth: number): void {
  let i = from;
  while (i < to && depth < 3) {
    const open = s.indexOf('{', i);
    if (open === -1 || open >= to) return;
    if (s[open + 1] === '{') {
      i = open + 2;
      continue;
    }
    let j = open + 1;
    let inIndex = false;
    while (j < to && (inIndex || !'!:}'.includes(s[j] as string))) {
      if (s[j] === '[') inIndex = true;
      else if (s[j] === ']') inIndex = false;
      j++;
    }
    paths.push(fieldSteps(s.slice(open + 1, j)));
    let nesting = 1;
    const specStart = j;
    while (j < to && nesting > 0) {
      if (s[j] === '{') nesting++;
      else if (s[j] === '}') nesting--;
      if (nesting > 0) j++;
    }
    scanTemplate(s, specStart + 1, j, paths, depth + 1);
    i = j + 1;
  }
}

function fieldSteps(fieldName: string): FieldStep[] {
  const steps: FieldStep[] = [];
  const step = /\.([^.[]*)|\[([^\]]*)\]/g;
  const first = fieldName.search(/[.[]/);
  if (first === -1) return steps;
  for (const match of fieldName.slice(first).matchAll(step)) {
    if (match[1] !== undefined) steps.push({ kind: 'attribute', name: match[1] });
    else steps.push({ kind: 'index', name: match[2] as string });
  }
  return steps;
}
