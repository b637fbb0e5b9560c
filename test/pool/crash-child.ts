// The process the pool's crash test kills: a backend on argv[2] whose pool of argv[3] containers
// fills, then "ready" on stdout. It never closes the backend: SIGKILL leaves the pool behind.
import { randomBytes } from 'node:crypto';
import { createDockerBackend } from '../../server/src/engine/index.js';
import { RUNNER_IMAGE, TEST_LIMITS } from '../helpers/docker.js';
import { poolFilled } from './helpers.js';

const [dataDir, size] = [process.argv[2]!, Number(process.argv[3])];
const backend = createDockerBackend({
  image: RUNNER_IMAGE, dataDir, instanceId: `crashing-${randomBytes(4).toString('hex')}`,
  pool: { size, startLimits: () => TEST_LIMITS },
});
backend.warmUp();
const ids = await poolFilled(dataDir, size);
process.stdout.write(`${JSON.stringify({ ready: ids })}\n`);
// Keeps the process (and the pool) alive until the test kills it.
setInterval(() => undefined, 60_000);
