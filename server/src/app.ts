// Wires the parts together — the one module that knows them all. Tests build the same service on a
// temporary data_dir and the real engine through `createService`.
import { randomBytes } from 'node:crypto';
import http, { type Server } from 'node:http';
import winston from 'winston';
import type express from 'express';
import type { Config } from './config/index.js';
import { loadContracts, type Contracts } from './contracts/index.js';
import { ensureWritableDir } from './durable/index.js';
import { Auditor, createAuditLog, type AuditLog } from './audit/index.js';
import { KeyRing, loadKeys } from './auth/index.js';
import { createControlLayer, type ControlLayer } from './control/index.js';
import { createDockerBackend, RuntimeMissingError, type SandboxBackend } from './engine/index.js';
import { EgressBroker } from './egress/index.js';
import { createOllamaModel } from './generator/index.js';
import {
  API_ROUTES, AuthFailureLimiter, adminHandlers, answerClientErrors, auditHandlers, authenticate, createApiRouter, createHttpApp, declaredHandlers,
  createConsoleRouter, healthHandlers, reviewsHandlers, runHandlers, skillsHandlers, statusHandlers,
} from './http/index.js';
import { createMcpEndpoint } from './mcp/index.js';
import { ServiceMetrics } from './metrics/index.js';
import { apiDocument } from './openapi/index.js';
import {
  Admission, AsyncRuns, CallbackTarget, GenerateService, KeysService, LifecycleService, LimitsAdmin, PolicyState, ReviewService, RunService, reconcileIntents,
  serviceStatus, type ServiceStatus,
} from './service/index.js';
import { CONSOLE_DIR, packageVersion } from './paths.js';
import { listenProblem } from './startup/index.js';
import { openRegistry, openSkillStore, type SkillStore } from './store/index.js';

export interface Service {
  app: express.Express;
  config: Config;
  engine: SandboxBackend;
  store: SkillStore;
  audit: AuditLog;
  policy: PolicyState;
  control: ControlLayer;
  /** The admin key created on this data_dir's first start (no keys configured), to print once. */
  createdKey?: string;
  listen(): Promise<Server>;
  close(): Promise<void>;
}

export function createLogger(level = 'info'): winston.Logger {
  return winston.createLogger({
    level,
    format: winston.format.combine(winston.format.timestamp(), winston.format.json()),
    transports: [new winston.transports.Console({ stderrLevels: ['error', 'warn', 'info', 'debug'] })],
  });
}

/**
 * Settles the sandbox runtime at start-up. An engine that does not answer yet is no reason not to
 * start (the first run or readiness probe settles it); a runtime asked for by name and missing is.
 */
async function settleRuntime(engine: SandboxBackend, logger: winston.Logger): Promise<void> {
  try {
    await engine.resolveRuntime();
  } catch (error) {
    if (error instanceof RuntimeMissingError) throw error;
    logger.warn('could not reach the engine to settle the sandbox runtime; the first run settles it', { error: String(error) });
  }
}

export interface ServiceOptions {
  contracts?: Contracts;
  logger?: winston.Logger;
  /** A process beside this one that removes the service's containers should it be SIGKILLed (`npm start`). */
  orphanWatchdog?: boolean;
  /** The review cache and the store's in-memory copies (default on; the bench turns them off to compare). */
  caches?: boolean;
}

export async function createService(config: Config, options: ServiceOptions = {}): Promise<Service> {
  const contracts = options.contracts ?? loadContracts();
  const logger = options.logger ?? createLogger();
  await ensureWritableDir(config.data_dir);

  const metrics = new ServiceMetrics();
  const policy = await PolicyState.load(config, contracts);
  const engine = createDockerBackend({
    image: config.sandbox.image,
    runtime: config.sandbox.runtime,
    dataDir: config.data_dir,
    instanceId: randomBytes(6).toString('hex'),
    socketPath: config.sandbox.docker_socket,
    logger,
    orphanWatchdog: options.orphanWatchdog,
    pool: { size: config.sandbox.pool.size, startLimits: () => policy.limits.defaults },
    resultBounds: { maxBytes: config.sandbox.result_max_bytes, maxDepth: config.sandbox.result_max_depth },
  });
  // Before anything is opened: runsc asked for by name and missing stops the start-up here.
  await settleRuntime(engine, logger);
  metrics.trackSandboxRuntime(() => engine.runtimeInForce());
  const audit = await createAuditLog({ dataDir: config.data_dir, rotateBytes: config.audit.rotate_bytes, logger });
  const control = await createControlLayer({ cache: options.caches });
  const store = await openSkillStore({ config, contracts, control, policy, logger, memoryCache: options.caches });
  // Every audit line goes through the Auditor; metrics count each once it is on disk: the two never disagree.
  const auditor = new Auditor(audit, { onRecorded: (event) => metrics.observeEvent(event) });
  const admission = new Admission(() => policy.limits);
  metrics.trackQueue(() => admission.stats);
  const broker = new EgressBroker({ config: config.egress, auditor });
  const runs = new RunService({ store, engine, control, contracts, auditor, policy, admission, broker });
  const model = createOllamaModel({ url: config.generator.url, model: config.generator.model, timeoutMs: config.generator.timeout_ms });
  const reviews = new ReviewService({ store, auditor });
  const registry = openRegistry(config.registry.url, { contracts, maxPackageBytes: config.store.max_package_bytes });
  const lifecycle = new LifecycleService({ store, control, policy, auditor, registry, contracts, skillLimits: config.store });
  const generation = new GenerateService({ store, control, auditor, policy, runs, model, generator: config.generator });
  const { keys: bootKeys, createdKey } = await loadKeys(config.auth.keys, config.data_dir);
  const keyRing = new KeyRing(bootKeys);
  const keys = await KeysService.open(config.data_dir, bootKeys, { ring: keyRing, auditor, contracts });
  const reconciled = await reconcileIntents({ audit, auditor, store, policy, keys });
  if (reconciled.rolledBack + reconciled.rolledForward > 0) logger.warn('audit: closed changes a crash interrupted', { ...reconciled });

  const leftovers = await engine.removeLeftovers().catch((error: unknown) => {
    logger.warn('could not reach the engine to remove leftover sandboxes', { error: String(error) });
    return 0;
  });
  if (leftovers > 0) logger.info('removed sandboxes left by an earlier run', { count: leftovers });
  engine.warmUp();
  // After removeLeftovers: a run the last stop interrupted is recorded failed once its container is gone.
  const asyncRuns = await AsyncRuns.open({
    dataDir: config.data_dir, runs, admission, auditor, logger, retentionMs: config.runs.retention_ms,
    callbacks: new CallbackTarget({
      allowCidrs: config.runs.callback_allow_cidrs, attempts: config.runs.callback_attempts,
      backoffMs: config.runs.callback_backoff_ms, timeoutMs: config.runs.callback_timeout_ms,
    }),
  });

  const readiness = {
    async problems(): Promise<string[]> {
      if (!(await audit.writable())) return ['the audit log cannot be written (a full or failing disk under data_dir); changes and runs answer 503 until it can'];
      if (!(await engine.ping())) return ['the container engine does not answer'];
      const runtime = await engine.resolveRuntime().catch((error: unknown) => (error instanceof Error ? error : new Error(String(error))));
      if (runtime instanceof Error) return [runtime.message];
      if (!(await engine.imagePresent())) return [`runner image ${config.sandbox.image} is missing (npm run setup builds it)`];
      return [];
    },
    details: () => ({ sandbox_runtime: engine.runtimeInForce() }),
  };
  const mcp = createMcpEndpoint({ runs, lifecycle, store, auditor, contracts, logger, serverVersion: packageVersion() });
  const status = (): Promise<ServiceStatus> => serviceStatus({ engine, admission, limits: () => policy.limits });
  const app = createHttpApp({
    logger,
    console: createConsoleRouter({ dir: CONSOLE_DIR }),
    bodyLimitBytes: config.server.body_limit_bytes,
    authenticate: authenticate(keyRing, new AuthFailureLimiter(config.server.auth_failures_per_minute)),
    publicPaths: config.server.public_routes,
    auditor,
    onResponse: (sample) => metrics.observeResponse(sample),
    routers: [
      createApiRouter(API_ROUTES, declaredHandlers({
        ...healthHandlers({ readiness, metrics, document: apiDocument(contracts.schemas, config.server.public_routes) }),
        ...auditHandlers({ audit }),
        ...statusHandlers({ status }),
        ...adminHandlers({ limits: new LimitsAdmin({ policy, auditor, contracts }), keys }),
        ...runHandlers({ runs, generation, asyncRuns }),
        ...reviewsHandlers({ reviews }),
        ...skillsHandlers({ lifecycle }),
      }), { contracts, rawLimitBytes: config.store.max_package_bytes }),
      mcp.router,
    ],
  });

  let server: Server | undefined;
  return {
    app, config, engine, store, audit, policy, control, createdKey,
    listen: () => new Promise((resolve, reject) => {
      // Not app.listen: express 5 hands a listen error to its callback, which would look like success.
      const created = http.createServer(app);
      answerClientErrors(created);
      created.once('error', (error: NodeJS.ErrnoException) => reject(new Error(listenProblem(error, config.server))));
      created.listen(config.server.port, config.server.host, () => {
        server = created;
        resolve(created);
      });
    }),
    async close() {
      await mcp.close();
      await asyncRuns.close();
      if (server) await new Promise<void>((resolve) => server!.close(() => resolve()));
      await engine.close();
      await broker.close();
      await store.close();
      await control.close();
      await audit.close();
    },
  };
}
