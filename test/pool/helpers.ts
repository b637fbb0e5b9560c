// What the pool tests share: the engine's own view of a pool (asked through the docker CLI, not
// the code under test) and a probe that tells which container served a run.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { SANDBOX_LABELS } from '../../server/src/engine/index.js';
import { py } from '../helpers/docker.js';

const execFileAsync = promisify(execFile);

/** Short ids (the containers' hostnames) of the running pool containers of `dataDir`. */
export async function poolContainers(dataDir: string): Promise<string[]> {
  const { stdout } = await execFileAsync('docker', [
    'ps', '--quiet', '--filter', `label=${SANDBOX_LABELS.dataDir}=${dataDir}`, '--filter', `label=${SANDBOX_LABELS.role}=pool`, '--filter', 'status=running',
  ]);
  return stdout.split('\n').filter((line) => line !== '').sort();
}

/** Waits until `size` pool containers of `dataDir` run; returns their short ids. */
export async function poolFilled(dataDir: string, size: number, timeoutMs = 30_000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ids = await poolContainers(dataDir);
    if (ids.length >= size || Date.now() > deadline) return ids;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Whether a container (short or full id) still exists on the engine, running or not. */
export async function containerExists(id: string): Promise<boolean> {
  return execFileAsync('docker', ['inspect', '--type', 'container', id]).then(() => true, () => false);
}

/**
 * Returns the container's hostname (its short id), whether /tmp was empty when the skill began, and
 * leaves a file there: a container that served a second run would show it.
 */
export const WHO_SERVES = py`
  import os
  def run(inp):
      found = sorted(os.listdir('/tmp'))
      with open('/tmp/served-a-run', 'w') as marker:
          marker.write('yes')
      return {'hostname': os.uname().nodename, 'tmp_at_start': found}
`;
