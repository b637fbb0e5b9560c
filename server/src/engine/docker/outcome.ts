// What a finished container run means for the user: the SPEC §3 status, result and error.
import type { Limits, RunOutcome } from '../types.js';
import type { CollectedOutput } from './output.js';
import { jsonTextDepth, parseFrame, type HarnessFrame } from './frame.js';

/** How large and how deep a result may be (config `sandbox.result_max_bytes`, `sandbox.result_max_depth`). */
export interface ResultBounds {
  maxBytes: number;
  maxDepth: number;
}

/** Why we killed the container ourselves, if we did. */
export type KillReason = 'timeout' | 'output' | 'cancelled';

export interface RunFacts {
  limits: Limits;
  output: CollectedOutput;
  /** The container's exit code; null when the run answered at the result frame without waiting for the exit. */
  exitCode: number | null;
  killedFor: KillReason | null;
  /** The engine's word that the kernel's OOM killer struck (read only when the exit says "killed"). */
  oomKilled: boolean;
  durationMs: number;
  resultBounds: ResultBounds;
}

/** 128 + SIGKILL: how the init process reports a child killed by the OOM killer or by us. */
export const EXIT_KILLED = 137;

type Verdict = Pick<RunOutcome, 'status' | 'result' | 'error'>;

function failed(type: string, message: string): Verdict {
  return { status: 'failed', result: null, error: { type, message } };
}

function verdict(facts: RunFacts, frame: HarnessFrame | null): Verdict {
  const { limits, output, exitCode, killedFor } = facts;
  if (killedFor === 'output') {
    return { status: 'output_exceeded', result: null, error: { type: 'OutputExceeded', message: `the skill's output went past the limit of ${limits.output_bytes} bytes and was cut` } };
  }
  if (killedFor === 'cancelled') {
    return { status: 'cancelled', result: null, error: { type: 'Cancelled', message: 'the caller went away; the run was stopped' } };
  }
  if (killedFor === 'timeout') {
    return { status: 'timeout', result: null, error: { type: 'Timeout', message: `the skill ran longer than its limit of ${limits.timeout_ms} ms and was killed` } };
  }
  if (frame?.ok === true) return { status: 'succeeded', result: frame.result, error: null };
  if (frame?.ok === false) {
    if (frame.timeout) return { status: 'timeout', result: null, error: frame.error };
    const status = frame.error.type === 'MemoryError' ? 'memory_exceeded' : 'failed';
    return { status, result: null, error: frame.error };
  }
  if (facts.oomKilled) {
    return { status: 'memory_exceeded', result: null, error: { type: 'MemoryExceeded', message: `the skill used more than its limit of ${limits.memory_mb} MB and was killed` } };
  }
  if (output.frame !== null) return failed('BadResultFrame', 'the runtime\'s result frame could not be read');
  return failed('NoResult', `the skill's process ended with exit code ${exitCode ?? 'unknown'} without a result`);
}

/** The status the harness exits with right after its frame (PROTOCOL.md): 0 after ok, 1 after an error, 137 at the time limit. */
function harnessExitCode(frame: HarnessFrame | null): number | null {
  if (frame === null) return null;
  if (frame.ok) return 0;
  return frame.timeout ? EXIT_KILLED : 1;
}

/** A result past the bounds is the skill's failure, decided on the frame's text before it is parsed. */
function oversizedResult(text: string, bounds: ResultBounds): Verdict | null {
  if (text.length > bounds.maxBytes) {
    return failed('ResultTooLarge', `the skill's result is ${text.length} bytes of JSON, more than the limit of ${bounds.maxBytes}`);
  }
  // The frame itself is one level: {"ok": true, "result": …}.
  if (jsonTextDepth(text, bounds.maxDepth + 1) > bounds.maxDepth + 1) {
    return failed('ResultTooDeep', `the skill's result nests deeper than the limit of ${bounds.maxDepth} levels`);
  }
  return null;
}

export function classify(facts: RunFacts): RunOutcome {
  const text = facts.output.frame;
  const oversized = text === null || facts.killedFor !== null ? null : oversizedResult(text, facts.resultBounds);
  const frame = text === null || oversized ? null : parseFrame(text);
  return {
    ...(oversized ?? verdict(facts, frame)),
    logs: facts.output.logs,
    logs_truncated: facts.output.logsTruncated,
    exit_code: facts.exitCode ?? harnessExitCode(frame),
    duration_ms: facts.durationMs,
  };
}
