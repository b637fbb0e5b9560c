// What the rest of the service knows of a sandbox: a job goes in, a RunOutcome comes out. Nothing
// here names Docker; a Kubernetes or gVisor backend implements the same SandboxBackend.
import type { Capability, Limits } from '../config/index.js';

export type { Limits };

/** What the in-container guard and kernel filter enforce; the same policy the control layer checked against. */
export interface RuntimePolicy {
  allow_imports: string[];
  allow_builtins: string[];
  allow_capabilities: Capability[];
}

export interface RunJob {
  /** Relative path -> source text, every file of the skill (the entrypoint among them). */
  files: Record<string, string>;
  entrypoint: string;
  handler: string;
  input: unknown;
  limits: Limits;
  policy: RuntimePolicy;
  /**
   * Test-only: the harness skips the in-process guard, leaving the kernel filter and the walls alone,
   * to prove they hold by themselves. Nothing in the service sets it; no configuration reaches it.
   */
  testOnlyUnguarded?: boolean;
}

export type RunStatus = 'succeeded' | 'failed' | 'timeout' | 'memory_exceeded' | 'output_exceeded';

export interface RunError {
  type: string;
  message: string;
  traceback?: string;
}

export interface RunOutcome {
  status: RunStatus;
  result: unknown;
  error: RunError | null;
  logs: string;
  logs_truncated: boolean;
  exit_code: number | null;
  duration_ms: number;
}

export interface LogChunk {
  stream: 'stdout' | 'stderr';
  data: string;
}

/**
 * A request of the skill's `net` module as the harness framed it (decoded JSON, its `id` removed),
 * and the answer that goes back to it. The engine only carries them; the caller's broker decides.
 */
export type NetExchange = (request: Record<string, unknown>) => Promise<Record<string, unknown>>;

export interface RunOptions {
  /** Called with each piece of the skill's output as it arrives (for NDJSON streaming). */
  onLog?: (chunk: LogChunk) => void;
  /** Answers the skill's network requests; without it, each is answered with a refusal. */
  onNetRequest?: NetExchange;
}

/** The container runtimes sandboxes run under: runc, or gVisor's runsc (its own kernel in user space). */
export type SandboxRuntime = 'runc' | 'runsc';
/** What the configuration asks for (sandbox.runtime): a runtime, or `auto`, runsc where the engine has it. */
export type RuntimeChoice = SandboxRuntime | 'auto';

/** What the backend runs with, and its warm pool's fill (null when there is no pool). */
export interface SandboxState {
  /** The runtime in force; null until it is settled (the engine has not answered yet). */
  runtime: SandboxRuntime | null;
  image: string;
  pool: { size: number; ready: number; starting: number } | null;
}

export interface SandboxBackend {
  /** Runs one job in a fresh sandbox that is destroyed afterwards, whatever happens. */
  run(job: RunJob, options?: RunOptions): Promise<RunOutcome>;
  /**
   * Settles, once, the runtime sandboxes run under, from the configured choice and what the engine
   * offers. Rejects when the engine does not answer (call again later: runs call it too) or when a
   * runtime asked for by name is missing (an operator's fix).
   */
  resolveRuntime(): Promise<SandboxRuntime>;
  /** The runtime in force, or null until resolveRuntime has settled it. */
  runtimeInForce(): SandboxRuntime | null;
  /** True when the engine answers. */
  ping(): Promise<boolean>;
  /** The runtime and image in force and the warm pool's fill, without asking the engine. */
  state(): SandboxState;
  /** True when the runner image is present on the engine. */
  imagePresent(): Promise<boolean>;
  /** Starts preparing sandboxes ahead of runs, where the backend does (a warm pool); call it after removeLeftovers. */
  warmUp(): void;
  /** Removes sandboxes this service left behind (an earlier crash); returns how many. */
  removeLeftovers(): Promise<number>;
  /** Stops background work (the warm pool) and removes what it holds. */
  close(): Promise<void>;
}
