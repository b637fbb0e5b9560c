// The parser: tree-sitter's Python grammar run as WebAssembly (web-tree-sitter). Why this one: it is a
// real, maintained grammar of Python 3 (match, walrus, PEP 701 f-strings), it needs no native build
// (the service installs from npm alone), it reports every ERROR and MISSING node instead of guessing,
// and it is fast — measured on this machine: 30 ms to load once, about 0.4 ms per KiB of source
// warm (a realistic 200-line skill in ~2 ms; a 256 KiB file in ~100-200 ms, off the main thread),
// see scripts/bench-review.ts. Its work is counted, not timed (WorkBudget): the same source under
// the same budget always gets the same outcome, however loaded the machine is.
// The tree is copied into plain objects once, so the rules read JavaScript, not WASM memory, and the
// WASM tree is freed at once.
import { createRequire } from 'node:module';
import { Language, Parser, type Tree, type TreeCursor } from 'web-tree-sitter';

export interface SyntaxNode {
  type: string;
  /** Named nodes are grammar rules; anonymous ones are tokens such as `+` or `await`. */
  named: boolean;
  /** The field this node fills in its parent (`name`, `body`, `left` …). */
  field: string | null;
  /** UTF-16 offsets into the source, as JavaScript strings count. */
  start: number;
  end: number;
  missing: boolean;
  parent: SyntaxNode | null;
  children: SyntaxNode[];
}

export type ParseOutcome =
  | { kind: 'tree'; root: SyntaxNode; errors: SyntaxNode[] }
  | { kind: 'over-budget' }
  | { kind: 'too-deep'; at: number };

/**
 * The work one review may do, in units of about one parser operation: tree-sitter checks its progress
 * callback every 100 or so operations (a fixed count, not a time), and each tree node copied is one
 * unit. Measured: a 256 KiB ordinary skill costs about 500,000; hostile shapes of the same size
 * (bracket storms, 100,000-item literals) 1,100,000-1,500,000.
 */
export class WorkBudget {
  private spentUnits = 0;

  constructor(readonly limit: number) {}

  /** Counts `units`; false once the budget is spent. */
  spend(units: number): boolean {
    this.spentUnits += units;
    return this.spentUnits <= this.limit;
  }

  get spent(): number {
    return this.spentUnits;
  }
}

/** Operations between two calls of tree-sitter's progress callback (its OP_COUNT_PER_PARSER_CALLBACK_CHECK). */
const OPERATIONS_PER_PROGRESS_CHECK = 100;

/**
 * Deeper than CPython itself compiles (200 nested brackets, 100 indentation levels), well beyond
 * written code; it bounds the recursion of every rule that walks the tree.
 */
export const MAX_TREE_DEPTH = 400;

/** Type and field names by id, read once per language, so copying a node costs four WASM calls, not eight. */
interface Names {
  types: string[];
  named: boolean[];
  fields: Array<string | null>;
}

let loading: Promise<PythonParser> | null = null;

export class PythonParser {
  private constructor(private readonly language: Language, private readonly names: Names) {}

  /**
   * Loads once per process: Parser.init() replaces the WASM module it was given before, which would
   * strand every Language loaded earlier. Parsers are created per parse, so sharing this is safe.
   */
  static load(): Promise<PythonParser> {
    loading ??= PythonParser.loadOnce().catch((error: unknown) => {
      loading = null; // a later call may try again
      throw error;
    });
    return loading;
  }

  private static async loadOnce(): Promise<PythonParser> {
    await Parser.init();
    const wasm = createRequire(import.meta.url).resolve('tree-sitter-python/tree-sitter-python.wasm');
    const language = await Language.load(wasm);
    const types = Array.from({ length: language.nodeTypeCount }, (_, id) => language.nodeTypeForId(id) ?? '');
    const named = types.map((_, id) => language.nodeTypeIsNamed(id));
    const fields = Array.from({ length: language.fieldCount + 1 }, (_, id) => language.fieldNameForId(id));
    return new PythonParser(language, { types, named, fields });
  }

  /**
   * One parse, abandoned once `budget` is spent (the progress callback cancels it). Synchronous: large
   * sources are reviewed in a worker thread (review-pool.ts), never on the server's event loop. Each
   * parse has its own Parser (created in ~20 µs).
   */
  parse(text: string, budget: WorkBudget): ParseOutcome {
    const parser = new Parser();
    try {
      parser.setLanguage(this.language);
      const tree = parser.parse(text, null, { progressCallback: () => !budget.spend(OPERATIONS_PER_PROGRESS_CHECK) });
      return tree ? this.copy(tree, budget) : { kind: 'over-budget' };
    } finally {
      parser.delete();
    }
  }

  private copy(tree: Tree, budget: WorkBudget): ParseOutcome {
    const cursor = tree.walk();
    try {
      return copyTree(cursor, this.names, tree.rootNode.hasError, budget);
    } finally {
      cursor.delete();
      tree.delete();
    }
  }
}

function copyNode(cursor: TreeCursor, names: Names, withMissing: boolean, parent: SyntaxNode | null): SyntaxNode {
  const typeId = cursor.nodeTypeId;
  const known = typeId < names.types.length; // ERROR has an id of its own, outside the table
  return {
    type: known ? (names.types[typeId] as string) : cursor.nodeType,
    named: known ? (names.named[typeId] as boolean) : cursor.nodeIsNamed,
    field: names.fields[cursor.currentFieldId] ?? null,
    start: cursor.startIndex,
    end: cursor.endIndex,
    missing: withMissing && cursor.nodeIsMissing,
    parent,
    children: [],
  };
}

/** Pre-order copy without recursion, so a hostile depth is measured before anything recurses on it. */
function copyTree(cursor: TreeCursor, names: Names, hasError: boolean, budget: WorkBudget): ParseOutcome {
  const root = copyNode(cursor, names, hasError, null);
  const errors: SyntaxNode[] = [];
  let current = root;
  let depth = 0;
  for (;;) {
    if (cursor.gotoFirstChild()) {
      depth++;
      if (depth > MAX_TREE_DEPTH) return { kind: 'too-deep', at: cursor.startIndex };
      if (!budget.spend(1)) return { kind: 'over-budget' };
      const child = copyNode(cursor, names, hasError, current);
      current.children.push(child);
      current = child;
    } else {
      for (;;) {
        if (current.type === 'ERROR' || current.missing) errors.push(current);
        if (cursor.gotoNextSibling()) {
          if (!budget.spend(1)) return { kind: 'over-budget' };
          const sibling = copyNode(cursor, names, hasError, current.parent);
          current.parent?.children.push(sibling);
          current = sibling;
          break;
        }
        if (!cursor.gotoParent() || !current.parent) return { kind: 'tree', root, errors };
        depth--;
        current = current.parent;
      }
    }
  }
}

/** Every node below `root`, parents before children, without recursion. */
export function* descendants(root: SyntaxNode): Generator<SyntaxNode> {
  const stack: SyntaxNode[] = [root];
  while (stack.length > 0) {
    const node = stack.pop() as SyntaxNode;
    yield node;
    for (let i = node.children.length - 1; i >= 0; i--) stack.push(node.children[i] as SyntaxNode);
  }
}

export function childByField(node: SyntaxNode, field: string): SyntaxNode | undefined {
  return node.children.find((child) => child.field === field);
}
