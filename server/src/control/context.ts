// One file under review: its text, how offsets become 1-based lines and columns, and where its findings go.
import type { RuleId } from './rules.js';
import type { SyntaxNode } from './parse.js';

/** Reports a finding at a UTF-16 offset of the text being read. */
export type Report = (rule: RuleId, at: number, message: string) => void;

export class SourceText {
  private lineStarts: number[] | null = null;

  constructor(readonly file: string, readonly text: string) {}

  of(node: SyntaxNode): string {
    return this.text.slice(node.start, node.end);
  }

  /** 1-based line; 1-based column counted in characters (code points), as an editor shows it. */
  position(offset: number): { line: number; column: number } {
    const starts = this.starts();
    let low = 0;
    let high = starts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if ((starts[mid] as number) <= offset) low = mid;
      else high = mid - 1;
    }
    const lineStart = starts[low] as number;
    let column = 1;
    for (let i = lineStart; i < offset; i++) {
      const code = this.text.charCodeAt(i);
      if (code < 0xdc00 || code > 0xdfff) column++; // the second half of a pair is the same character
    }
    return { line: low + 1, column };
  }

  private starts(): number[] {
    if (!this.lineStarts) {
      // CPython ends lines at \n and \r\n (a lone \r is refused before anything asks for a position).
      const starts = [0];
      for (let i = this.text.indexOf('\n'); i !== -1; i = this.text.indexOf('\n', i + 1)) starts.push(i + 1);
      this.lineStarts = starts;
    }
    return this.lineStarts;
  }
}
