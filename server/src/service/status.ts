// What an operator looks at first (the console's Overview): the engine reachable or not, the
// runtime and image in force, the warm pool's fill and the admission queue against its limits.
import type { SandboxBackend, SandboxState } from '../engine/index.js';
import type { AdmissionLimits } from './admission.js';

export interface ServiceStatus {
  engine: { reachable: boolean; image_present: boolean | null; runtime: SandboxState['runtime']; image: string };
  pool: SandboxState['pool'];
  queue: { running: number; waiting: number; concurrency: number; queue: number };
}

export interface StatusDeps {
  engine: Pick<SandboxBackend, 'ping' | 'imagePresent' | 'state'>;
  admission: { readonly stats: { running: number; waiting: number } };
  limits: () => AdmissionLimits;
}

export async function serviceStatus(deps: StatusDeps): Promise<ServiceStatus> {
  const { runtime, image, pool } = deps.engine.state();
  const reachable = await deps.engine.ping();
  // Unknown (null) when the engine does not answer, or answers the image question with an error.
  const imagePresent = reachable ? await deps.engine.imagePresent().catch(() => null) : null;
  const { concurrency, queue } = deps.limits();
  return {
    engine: { reachable, image_present: imagePresent, runtime, image },
    pool,
    queue: { ...deps.admission.stats, concurrency, queue },
  };
}
