// The engine's public face: the SandboxBackend vocabulary and the Docker implementation's factory.
// Nothing outside engine/ imports dockerode or engine/docker/ directly.
export type { LogChunk, NetExchange, RunError, RunJob, RunOptions, RunOutcome, RunStatus, RuntimeChoice, RuntimePolicy, SandboxBackend, SandboxRuntime, SandboxState } from './types.js';
export { createDockerBackend, type DockerBackendOptions } from './docker/backend.js';
export { GVISOR_PIDS_HEADROOM, LABEL as SANDBOX_LABELS } from './docker/container-options.js';
export { pickRuntime, RuntimeMissingError } from './docker/runtime.js';
export type { EngineLogger } from './docker/container-run.js';
