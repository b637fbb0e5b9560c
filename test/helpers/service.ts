// Builds the whole service as `npm start` does, on a temporary data_dir with one key per role and
// the real Docker engine, so tests see what a user would see.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import supertest from 'supertest';
import winston from 'winston';
import { createService, type Service } from '../../server/src/app.js';
import { sha256Hex } from '../../server/src/auth/keys.js';
import { buildConfig, type ConfigFile, type Role } from '../../server/src/config/index.js';
import { loadContracts } from '../../server/src/contracts/index.js';
import { TEST_RUNTIME } from './docker.js';

export const contracts = loadContracts();

export interface TestService {
  service: Service;
  dataDir: string;
  /** A valid key for each role. */
  keys: Record<Role, string>;
  /** `supertest` against the app with `Authorization: Bearer <key of role>`. */
  as(role: Role): { get(url: string): supertest.Test; post(url: string): supertest.Test; put(url: string): supertest.Test };
  close(): Promise<void>;
}

export const quietLogger = winston.createLogger({ level: 'error', silent: true, transports: [new winston.transports.Console()] });

export async function startTestService(overrides: ConfigFile = {}, logger: winston.Logger = quietLogger): Promise<TestService> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'te-test-'));
  const keys: Record<Role, string> = { client: 'test-client-key', author: 'test-author-key', admin: 'test-admin-key' };
  const config = buildConfig(
    {
      data_dir: dataDir,
      ...overrides,
      // The runtime of this test pass (TE_TEST_RUNTIME), unless the test asks for its own.
      sandbox: { runtime: TEST_RUNTIME, ...overrides.sandbox },
      auth: { keys: (Object.keys(keys) as Role[]).map((role) => ({ id: `${role}-key`, role, sha256: sha256Hex(keys[role]) })) },
    },
    contracts,
  );
  const service = await createService(config, { contracts, logger });
  const agent = supertest(service.app);
  const test: TestService = {
    service,
    dataDir,
    keys,
    as: (role) => ({
      get: (url) => agent.get(url).set('Authorization', `Bearer ${keys[role]}`),
      post: (url) => agent.post(url).set('Authorization', `Bearer ${keys[role]}`),
      put: (url) => agent.put(url).set('Authorization', `Bearer ${keys[role]}`),
    }),
    async close() {
      // The current service: a test that restarts the service puts the new one in `service`.
      await test.service.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
  return test;
}
