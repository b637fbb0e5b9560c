// Skills as MCP tools: an active skill's manifest becomes a tool definition, and a run's answer
// becomes a tool result. Pure mapping, no I/O.
import type { CallToolResult, Tool } from '@modelcontextprotocol/sdk/types.js';
import type { RunResponse } from '../service/index.js';
import type { Manifest } from '../skill.js';

/** MCP arguments are always an object: a skill whose input is not one takes it as `{"input": …}`. */
export const WRAPPED_INPUT = 'input';

type JsonSchemaObject = Tool['inputSchema'];

function isObjectSchema(schema: unknown): schema is JsonSchemaObject {
  return typeof schema === 'object' && schema !== null && (schema as { type?: unknown }).type === 'object';
}

/** Whether the skill's input travels as the arguments themselves or wrapped in `{"input": …}`. */
export function wrapsInput(manifest: Manifest): boolean {
  return manifest.input_schema !== undefined && !isObjectSchema(manifest.input_schema);
}

function networkOrigins(manifest: Manifest): boolean {
  const network = manifest.permissions?.network;
  return Array.isArray(network) ? network.length > 0 : network === true;
}

export function toolOf(manifest: Manifest): Tool {
  const inputSchema: JsonSchemaObject = wrapsInput(manifest)
    ? { type: 'object', properties: { [WRAPPED_INPUT]: manifest.input_schema as object }, required: [WRAPPED_INPUT] }
    : manifest.input_schema as JsonSchemaObject | undefined ?? { type: 'object' };
  const open = networkOrigins(manifest);
  return {
    name: manifest.name,
    title: `${manifest.name} ${manifest.version}`,
    description: manifest.description,
    inputSchema,
    // MCP output schemas describe an object; other results come back as text only.
    ...(isObjectSchema(manifest.output_schema) ? { outputSchema: manifest.output_schema } : {}),
    // A sandboxed run has no network and nothing to write to beyond its own tmpfs, unless the
    // admin approved network origins for it.
    annotations: { title: manifest.description, readOnlyHint: !open, destructiveHint: false, openWorldHint: open },
  };
}

/** The arguments of a call as the skill's input. */
export function inputOf(manifest: Manifest, args: Record<string, unknown>): unknown {
  return wrapsInput(manifest) ? args[WRAPPED_INPUT] : args;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A succeeded run answers its result; any other status is the tool's error, with the run's. */
export function toolResult(run: RunResponse): CallToolResult {
  const _meta = { 'tool-executor/run': { run_id: run.run_id, status: run.status, duration_ms: run.duration_ms, exit_code: run.exit_code, logs_truncated: run.logs_truncated } };
  if (run.status !== 'succeeded') {
    const why = run.error ? `${run.error.type}: ${run.error.message}` : 'no error was reported';
    return { isError: true, content: [{ type: 'text', text: `the run ended ${run.status}: ${why}` }], _meta };
  }
  return {
    content: [{ type: 'text', text: JSON.stringify(run.result) }],
    ...(isPlainObject(run.result) ? { structuredContent: run.result } : {}),
    _meta,
  };
}
