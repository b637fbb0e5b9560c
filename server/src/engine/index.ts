// The engine's public face: the SandboxBackend vocabulary and the Docker implementation's factory.
// Nothing outside engine/ imports dockerode or engine/docker/ directly.
export type { LogChunk, NetExchange, RunError, RunJob, RunOptions, RunOutcome, RunStatus, RuntimePolicy, SandboxBackend, SandboxState } from './types.js';
export { createDockerBackend, type DockerBackendOptions } from './docker/backend.js';
export { LABEL as SANDBOX_LABELS } from './docker/container-options.js';
export type { EngineLogger } from './docker/container-run.js';
