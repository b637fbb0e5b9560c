// The harness ends its stdout with one result frame, "\x1eTE-RESULT <nonce> <json>\n", and its
// stderr with one end mark, "\x1eTE-END <nonce> <elapsed_ms>\n" (runner-image/harness/PROTOCOL.md). The nonce is chosen per run here and never shown to the
// skill's code, so nothing the skill prints passes for the frame. This finds the frame in the
// decoded stdout and passes everything else on as log, holding back only what could be the
// beginning of the marker. The same scanner, repeating, takes the net module's request frames
// ("\x1eTE-NET <nonce> <json>\n") out of stdout as they come.
import type { RunError } from '../types.js';

export const FRAME_PREFIX = '\u001eTE-RESULT ';
export const END_PREFIX = '\u001eTE-END ';
export const NET_PREFIX = '\u001eTE-NET ';
// The record separator: a log tail is held back only when it could be the start of a frame, which
// needs this rare character, so ordinary lines (and their newlines) stream at once.
const MARKER_START = '\u001e';

/** `timeout`: the harness's own clock ended the skill at its time limit. */
export type HarnessFrame = { ok: true; result: unknown } | { ok: false; error: RunError; timeout?: true };

export class FrameScanner {
  private readonly marker: string;
  /** The tail of the log seen so far that could be the start of the marker. */
  private held = '';
  /** Text after the marker, until the frame's closing newline. */
  private partialFrame: string | null = null;
  private completeFrame: string | null = null;

  /** With `onFrame`, every frame goes to it as it completes and scanning goes on (the net module's requests). */
  constructor(nonce: string, prefix: string = FRAME_PREFIX, private readonly onFrame?: (frame: string) => void) {
    this.marker = `${prefix}${nonce} `;
  }

  /** The frame's JSON text, once its closing newline arrived. */
  get frame(): string | null {
    return this.completeFrame;
  }

  /** Takes decoded stdout; returns the part of it that is certainly log. */
  push(text: string): string {
    if (this.completeFrame !== null) return text; // anything after the frame is log again
    if (this.partialFrame !== null) return this.pushFrame(text);
    const buffer = this.held + text;
    const at = buffer.indexOf(this.marker);
    if (at >= 0) {
      this.held = '';
      this.partialFrame = '';
      return buffer.slice(0, at) + this.pushFrame(buffer.slice(at + this.marker.length));
    }
    const heldLength = this.markerStartLength(buffer);
    this.held = buffer.slice(buffer.length - heldLength);
    return buffer.slice(0, buffer.length - heldLength);
  }

  /** At the end of stdout: what was held back was log after all. */
  end(): string {
    const rest = this.held;
    this.held = '';
    return rest;
  }

  private pushFrame(text: string): string {
    const newline = text.indexOf('\n');
    if (newline < 0) {
      this.partialFrame += text;
      return '';
    }
    const frame = this.partialFrame + text.slice(0, newline);
    this.partialFrame = null;
    if (!this.onFrame) {
      this.completeFrame = frame;
      return text.slice(newline + 1);
    }
    this.onFrame(frame);
    return this.push(text.slice(newline + 1));
  }

  /** Length of the longest tail of `buffer` that the marker starts with (its only "\x1e" is its first character). */
  private markerStartLength(buffer: string): number {
    const from = Math.max(0, buffer.length - this.marker.length + 1);
    for (let at = buffer.indexOf(MARKER_START, from); at >= 0; at = buffer.indexOf(MARKER_START, at + 1)) {
      if (this.marker.startsWith(buffer.slice(at))) return buffer.length - at;
    }
    return 0;
  }
}

/**
 * How deep the JSON text nests, read without parsing it (linear, no recursion), stopping once past
 * `stopAbove`: a result is bounded before anything that recurses (JSON.stringify, ajv) meets it.
 */
export function jsonTextDepth(text: string, stopAbove: number): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (inString) {
      if (code === 0x5c) i++; // a backslash: the next character is escaped
      else if (code === 0x22) inString = false;
    } else if (code === 0x22) {
      inString = true;
    } else if (code === 0x5b || code === 0x7b) {
      deepest = Math.max(deepest, ++depth);
      if (deepest > stopAbove) return deepest;
    } else if (code === 0x5d || code === 0x7d) {
      depth--;
    }
  }
  return deepest;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The frame's JSON as the protocol defines it, or null for anything else. */
export function parseFrame(text: string): HarnessFrame | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (!isRecord(value)) return null;
  if (value.ok === true && 'result' in value) return { ok: true, result: value.result };
  const error = value.error;
  if (value.ok !== false || !isRecord(error) || typeof error.type !== 'string' || typeof error.message !== 'string') return null;
  const traceback = typeof error.traceback === 'string' ? { traceback: error.traceback } : {};
  const timeout = value.timeout === true ? { timeout: true as const } : {};
  return { ok: false, error: { type: error.type, message: error.message, ...traceback }, ...timeout };
}
