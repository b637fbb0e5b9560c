// The checker and the interpreter must read the same program. These checks refuse every source that
// CPython 3.11 could read differently from tree-sitter: another encoding, line ends tree-sitter does
// not see, characters a reader does not see, indentation the two count differently, f-string syntax
// that depends on the Python version. Text checks run before the parse (and skip it when they fail);
// the others need the tree to know what is inside a string literal.
import type { Report } from './context.js';
import { descendants, type SyntaxNode } from './parse.js';

/** CPython refuses more than 200 nested brackets; counting raw brackets (strings included) needs slack. */
const MAX_RAW_BRACKET_DEPTH = 1000;
/** tree-sitter counts indentation in 16 bits; CPython allows 100 levels. */
const MAX_INDENT_COLUMNS = 1000;

const CODING_DECLARATION = /^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Text-level checks; false when the text must not be parsed at all. */
export function checkText(text: string, report: Report): boolean {
  let clean = true;
  const refuse = (at: number, message: string): void => {
    report('source-ambiguous', at, message);
    clean = false;
  };
  const surrogate = LONE_SURROGATE.exec(text);
  if (surrogate) refuse(surrogate.index, 'an unpaired surrogate: the text is not valid UTF-8 once stored');
  const nul = text.indexOf('\0');
  if (nul !== -1) refuse(nul, 'a NUL character: CPython refuses it, tree-sitter reads past it');
  const bom = text.indexOf('\uFEFF');
  if (bom !== -1) refuse(bom, 'a byte order mark (U+FEFF): save the file as UTF-8 without one');
  const loneCr = /\r(?!\n)/.exec(text);
  if (loneCr) refuse(loneCr.index, 'a carriage return without a line feed: CPython ends a line there, tree-sitter does not');
  const formFeed = text.indexOf('\f');
  if (formFeed !== -1) refuse(formFeed, 'a form feed: CPython and tree-sitter count the indentation after it differently');
  clean = checkCodingDeclaration(text, refuse) && clean;
  return checkShape(text, report) && clean;
}

/** PEP 263: a coding declaration on line 1 or 2 changes how CPython decodes the bytes. Only UTF-8 is read as reviewed. */
function checkCodingDeclaration(text: string, refuse: (at: number, message: string) => void): boolean {
  let lineStart = 0;
  for (let line = 0; line < 2 && lineStart <= text.length; line++) {
    const newline = text.indexOf('\n', lineStart);
    const lineEnd = newline === -1 ? text.length : newline;
    const match = CODING_DECLARATION.exec(text.slice(lineStart, lineEnd));
    if (match) {
      const name = (match[1] as string).toLowerCase().replace(/_/g, '-');
      if (name !== 'utf-8' && name !== 'utf8' && !name.startsWith('utf-8-')) {
        refuse(lineStart, `a coding declaration for ${match[1]}: CPython would decode the file differently from what was reviewed`);
        return false;
      }
    }
    if (newline === -1) break;
    lineStart = newline + 1;
  }
  return true;
}

/** One pass over the characters: nesting and indentation beyond what CPython compiles are refused before the parse. */
function checkShape(text: string, report: Report): boolean {
  let depth = 0;
  let indent = 0;
  let atLineStart = true;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 10) {
      atLineStart = true;
      indent = 0;
      continue;
    }
    if (atLineStart && (code === 32 || code === 9)) {
      indent += code === 9 ? 8 : 1;
      if (indent > MAX_INDENT_COLUMNS) {
        report('source-too-complex', i, `indentation beyond ${MAX_INDENT_COLUMNS} columns`);
        return false;
      }
      continue;
    }
    atLineStart = false;
    if (code === 40 || code === 91 || code === 123) depth++;
    else if (code === 41 || code === 93 || code === 125) depth--;
    if (depth > MAX_RAW_BRACKET_DEPTH) {
      report('source-too-complex', i, `brackets nested more than ${MAX_RAW_BRACKET_DEPTH} deep`);
      return false;
    }
  }
  return true;
}

/** Characters nobody sees, or that reorder what one sees (Trojan Source), anywhere outside string contents. */
const INVISIBLE = /(?![ \t\n\r])[\p{Cc}\p{Cf}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]/gu;

/** Checks that need the tree: what counts as inside a string literal, and where f-strings nest. */
export function checkParsedSource(text: string, root: SyntaxNode, errors: SyntaxNode[], report: Report): void {
  for (const error of errors.slice(0, 5)) {
    if (error.missing) report('syntax-error', error.start, `missing ${error.type}`);
    else report('syntax-error', errorPlace(error), 'the code does not parse here');
  }
  const stringContents: Array<[number, number]> = [];
  const strings: Array<[number, number]> = [];
  const comments: Array<[number, number]> = [];
  for (const node of descendants(root)) {
    if (node.type === 'string_content') stringContents.push([node.start, node.end]);
    else if (node.type === 'string') strings.push([node.start, node.end]);
    else if (node.type === 'comment') comments.push([node.start, node.end]);
    else if (node.type === 'print_statement' || node.type === 'exec_statement') {
      report('syntax-error', node.start, 'a Python 2 statement: Python 3 does not accept it');
    } else if (node.type === 'interpolation') checkInterpolation(text, node, report);
  }
  for (const match of text.matchAll(INVISIBLE)) {
    const char = match[0];
    const at = match.index;
    if (within(stringContents, at)) continue;
    if (/\p{Zs}/u.test(char) && within(comments, at)) continue;
    const code = (char.codePointAt(0) as number).toString(16).toUpperCase().padStart(4, '0');
    report('source-ambiguous', at, `an invisible or control character U+${code} outside a string literal`);
  }
  checkIndentation(text, strings, report);
}

/**
 * An ERROR node may wrap everything read before the parser gave up (the whole file, for an unclosed
 * bracket); its last named child is nearer to where the reading went wrong.
 */
function errorPlace(error: SyntaxNode): number {
  const named = error.children.filter((c) => c.named);
  return named.length > 0 ? (named[named.length - 1] as SyntaxNode).start : error.start;
}

function within(ranges: Array<[number, number]>, at: number): boolean {
  return ranges.some(([start, end]) => at >= start && at < end);
}

/** tree-sitter counts a tab as 8 columns, CPython as "to the next multiple of 8": a space before a tab differs. */
function checkIndentation(text: string, strings: Array<[number, number]>, report: Report): void {
  const mixed = /^[\t ]* \t/gm;
  for (const match of text.matchAll(mixed)) {
    if (strings.some(([start, end]) => match.index > start && match.index < end)) continue;
    report('source-ambiguous', match.index, 'indentation that mixes tabs and spaces');
  }
}

/**
 * Python 3.12 (PEP 701) accepts comments, backslashes and the enclosing quote inside an f-string's
 * expression; 3.11 refuses them and tree-sitter reads them the 3.12 way. Refusing them keeps one reading.
 */
function checkInterpolation(text: string, node: SyntaxNode, report: Report): void {
  let outer = node.parent;
  while (outer && outer.type !== 'string') outer = outer.parent;
  const opening = outer?.children[0];
  const quote = opening ? text.slice(opening.start, opening.end).replace(/^[A-Za-z]+/, '').charAt(0) : '"';
  for (const part of node.children) {
    if (part.type === 'format_specifier' || part.type === 'type_conversion' || !part.named) continue;
    const code = text.slice(part.start, part.end);
    if (part.type === 'comment' || code.includes('#') || code.includes('\\') || code.includes(quote)) {
      report('source-ambiguous', part.start, 'an f-string expression with a comment, a backslash or its own quote: Python 3.11 and 3.12 read it differently');
      return;
    }
  }
}
