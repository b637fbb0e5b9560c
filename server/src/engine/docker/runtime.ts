// Which OCI runtime the sandboxes run under (SPEC §5), settled once from the configured choice and
// the runtimes the engine lists: `auto` takes gVisor's runsc where the engine has it, runc otherwise.
import type Docker from 'dockerode';
import type { RuntimeChoice, SandboxRuntime } from '../types.js';

/** The name `npm run setup` registers gVisor under in the engine's daemon.json. */
export const GVISOR_RUNTIME = 'runsc';

/** runsc asked for by name, and the engine does not list it: an operator's fix, not a retry. */
export class RuntimeMissingError extends Error {
  constructor(runtime: string, listed: string[]) {
    super(
      `sandbox.runtime is ${runtime}, but the container engine has no runtime of that name (it lists: ${listed.join(', ') || 'none'}); `
      + '`npm run setup` registers gVisor as runsc where it can (root and apt), or set sandbox.runtime to auto or runc',
    );
    this.name = 'RuntimeMissingError';
  }
}

// @types/dockerode leaves out info's options; the modem honours an abort signal.
type InfoWithSignal = { info(options: { abortSignal: AbortSignal }): Promise<unknown> };

/** Asks the engine only when it matters: every engine runs runc, only runsc depends on its daemon.json. */
export async function resolveRuntime(docker: Docker, choice: RuntimeChoice, timeoutMs: number): Promise<SandboxRuntime> {
  if (choice === 'runc') return 'runc';
  const info = (await (docker as unknown as InfoWithSignal).info({ abortSignal: AbortSignal.timeout(timeoutMs) })) as { Runtimes?: Record<string, unknown> };
  return pickRuntime(choice, Object.keys(info.Runtimes ?? {}));
}

/** The runtime in force for a choice, given the names of the runtimes the engine lists. */
export function pickRuntime(choice: RuntimeChoice, listed: string[]): SandboxRuntime {
  if (choice === 'runc') return 'runc';
  if (listed.includes(GVISOR_RUNTIME)) return GVISOR_RUNTIME;
  if (choice === 'auto') return 'runc';
  throw new RuntimeMissingError(choice, listed);
}
