// A skill's source with Python syntax colouring (lezer's Python grammar, the parser CodeMirror uses)
// and each finding of the review shown under the line it points at. Text goes in as text nodes,
// never as HTML: a skill's source cannot inject markup into the console.
import { classHighlighter, highlightCode } from '@lezer/highlight';
import { parser } from '@lezer/python';
import type { Finding } from './types';

interface Token {
  text: string;
  classes: string;
}

/** The source as lines of classed tokens. */
function highlightLines(text: string, python: boolean): Token[][] {
  // A final newline ends the last line; it does not start another.
  const source = text.endsWith('\n') ? text.slice(0, -1) : text;
  if (!python) return source.split('\n').map((text) => [{ text, classes: '' }]);
  const lines: Token[][] = [[]];
  highlightCode(
    source,
    parser.parse(source),
    classHighlighter,
    (text, classes) => lines[lines.length - 1]!.push({ text, classes }),
    () => lines.push([]),
  );
  return lines;
}

export function FindingNote({ finding }: { finding: Finding }) {
  const where = finding.line !== null
    ? `line ${finding.line}${finding.column !== null ? `, column ${finding.column}` : ''}`
    : finding.file === null || finding.file === 'manifest.yaml' ? 'the manifest' : `the whole of ${finding.file}`;
  return (
    <div class={`finding severity-${finding.severity}`} data-rule={finding.rule} role="note">
      <span class="severity">{finding.severity}</span> <code>{finding.rule}</code> ({where}): {finding.message}
    </div>
  );
}

function CodeFile({ path, source, findings }: { path: string; source: string; findings: Finding[] }) {
  const lines = highlightLines(source, path.endsWith('.py'));
  const byLine = new Map<number, Finding[]>();
  const unplaced: Finding[] = [];
  for (const finding of findings) {
    if (finding.line === null || finding.line < 1 || finding.line > lines.length) unplaced.push(finding);
    else byLine.set(finding.line, [...(byLine.get(finding.line) ?? []), finding]);
  }
  return (
    <figure class="code-file" data-file={path}>
      <figcaption>
        {path} <span class="muted">({lines.length} lines{findings.length ? `, ${findings.length} finding${findings.length === 1 ? '' : 's'}` : ''})</span>
      </figcaption>
      {unplaced.map((finding, i) => <FindingNote key={`u${i}`} finding={finding} />)}
      <div class="code" role="region" aria-label={`Source of ${path}`} tabIndex={0}>
        {lines.map((tokens, index) => {
          const number = index + 1;
          const notes = byLine.get(number);
          return (
            <div key={number} class={notes ? 'line flagged' : 'line'} data-line={number}>
              <span class="line-number" aria-hidden="true">{number}</span>
              <code class="line-text">{tokens.map((t, i) => (t.classes ? <span key={i} class={t.classes}>{t.text}</span> : t.text))}</code>
              {notes?.map((finding, i) => <FindingNote key={i} finding={finding} />)}
            </div>
          );
        })}
      </div>
    </figure>
  );
}

/** Every file of a skill, the entrypoint first, each with the findings that point into it. */
export function CodeFiles({ files, findings, entrypoint }: { files: Record<string, string>; findings: Finding[]; entrypoint?: string }) {
  const paths = Object.keys(files).sort((a, b) => (a === entrypoint ? -1 : b === entrypoint ? 1 : a.localeCompare(b)));
  return (
    <div class="code-files">
      {paths.map((path) => <CodeFile key={path} path={path} source={files[path]!} findings={findings.filter((f) => f.file === path)} />)}
    </div>
  );
}
