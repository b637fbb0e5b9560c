// The code model of the Make-Tool pattern (SPEC §6): Ollama's `POST /api/generate` with
// `stream: false`, asked for one Python file that defines `run(inp)`.
import { UnavailableError } from '../errors.js';

export interface CodeModel {
  /** Python source for a skill that does `intent`. */
  writeSkill(intent: string): Promise<string>;
}

export interface OllamaOptions {
  url: string;
  model: string;
  timeoutMs: number;
}

export function skillPrompt(intent: string): string {
  return [
    'Write one Python 3 file that defines a function `run(inp)`.',
    '`inp` is the decoded JSON input (usually a dict); `run` returns a JSON-serialisable value.',
    'Use only these modules if any: json, math, datetime, re. No file, network or process access,',
    'no eval, exec, open or __import__, no dunder attributes. Reply with the code in one ```python block.',
    '',
    `Task: ${intent}`,
  ].join('\n');
}

/** The first fenced code block of the answer, or the whole answer when there is none. */
export function extractCode(answer: string): string {
  const fenced = /```[^\n`]*\n([\s\S]*?)```/.exec(answer);
  return (fenced?.[1] ?? answer).trim() + '\n';
}

export function createOllamaModel(options: OllamaOptions): CodeModel {
  const endpoint = new URL('/api/generate', options.url).toString();
  return {
    async writeSkill(intent: string): Promise<string> {
      let answer: unknown;
      try {
        const response = await fetch(endpoint, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ model: options.model, prompt: skillPrompt(intent), stream: false }),
          signal: AbortSignal.timeout(options.timeoutMs),
        });
        if (!response.ok) throw new Error(`the code model answered HTTP ${response.status}`);
        answer = await response.json();
      } catch (error) {
        throw new UnavailableError(`the code model at ${options.url} could not write a skill: ${error instanceof Error ? error.message : String(error)}`, 30);
      }
      const text = (answer as { response?: unknown }).response;
      if (typeof text !== 'string' || text.trim() === '') throw new UnavailableError('the code model gave an empty answer', 30);
      return extractCode(text);
    },
  };
}
