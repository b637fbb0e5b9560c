// What a finished container run means for the user: the SPEC §3 status, result and error.
import type { Limits, RunOutcome } from '../types.js';
import type { CollectedOutput } from './output.js';
import { parseFrame } from './frame.js';

/** Why we killed the container ourselves, if we did. */
export type KillReason = 'timeout' | 'output';

export interface RunFacts {
  limits: Limits;
  output: CollectedOutput;
  exitCode: number | null;
  killedFor: KillReason | null;
  /** The engine's word that the kernel's OOM killer struck (read only when the exit says "killed"). */
  oomKilled: boolean;
  durationMs: number;
}

/** 128 + SIGKILL: how the init process reports a child killed by the OOM killer or by us. */
export const EXIT_KILLED = 137;

type Verdict = Pick<RunOutcome, 'status' | 'result' | 'error'>;

function failed(type: string, message: string): Verdict {
  return { status: 'failed', result: null, error: { type, message } };
}

function verdict(facts: RunFacts): Verdict {
  const { limits, output, exitCode, killedFor } = facts;
  if (killedFor === 'output') {
    return { status: 'output_exceeded', result: null, error: { type: 'OutputExceeded', message: `the skill's output went past the limit of ${limits.output_bytes} bytes and was cut` } };
  }
  if (killedFor === 'timeout') {
    return { status: 'timeout', result: null, error: { type: 'Timeout', message: `the skill ran longer than its limit of ${limits.timeout_ms} ms and was killed` } };
  }
  const frame = output.frame === null ? null : parseFrame(output.frame);
  if (frame?.ok === true) return { status: 'succeeded', result: frame.result, error: null };
  if (frame?.ok === false) {
    const status = frame.error.type === 'MemoryError' ? 'memory_exceeded' : 'failed';
    return { status, result: null, error: frame.error };
  }
  if (facts.oomKilled) {
    return { status: 'memory_exceeded', result: null, error: { type: 'MemoryExceeded', message: `the skill used more than its limit of ${limits.memory_mb} MB and was killed` } };
  }
  if (output.frame !== null) return failed('BadResultFrame', 'the runtime\'s result frame could not be read');
  return failed('NoResult', `the skill's process ended with exit code ${exitCode ?? 'unknown'} without a result`);
}

export function classify(facts: RunFacts): RunOutcome {
  return {
    ...verdict(facts),
    logs: facts.output.logs,
    logs_truncated: facts.output.logsTruncated,
    exit_code: facts.exitCode,
    duration_ms: facts.durationMs,
  };
}
