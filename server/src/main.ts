// Process entry: configuration, the service, signals. A start that cannot succeed (a bad key in the
// configuration, a port in use, an unusable data_dir, no container engine) ends with exit code 1
// and one line on stderr that says what to fix.
import { loadContracts } from './contracts/index.js';
import net from 'node:net';
import { loadConfig, type Config } from './config/index.js';
import { createLogger, createService, listenProblem } from './app.js';

const logger = createLogger(process.env.LOG_LEVEL ?? 'info');

/** Binds and frees the port before anything else starts, so a port in use is the only thing said. */
function assertPortFree(where: Config['server']): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', (error: NodeJS.ErrnoException) => reject(new Error(listenProblem(error, where))));
    probe.listen(where.port, where.host, () => probe.close(() => resolve()));
  });
}

async function main(): Promise<void> {
  const contracts = loadContracts();
  const { config, source } = loadConfig(contracts);
  if (config.server.port !== 0) await assertPortFree(config.server);
  const service = await createService(config, { contracts, logger, requireEngine: true });
  if (service.createdKey) {
    process.stdout.write(
      `\nNo API key was configured: created an admin key for ${config.data_dir} (only its hash is kept; it is shown this once):\n\n    ${service.createdKey}\n\n`,
    );
  }
  const server = await service.listen();
  const address = server.address();
  const where = typeof address === 'object' && address ? `http://${address.address}:${address.port}` : String(address);
  logger.info('tool executor serving', {
    url: where, config: source, data_dir: config.data_dir,
    sandbox_runtime: service.engine.runtimeInForce() ?? `not settled yet (${config.sandbox.runtime}; the engine did not answer)`,
  });

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info('stopping', { signal });
    service.close().then(() => process.exit(0), (error: unknown) => {
      logger.error('error while stopping', { error: String(error) });
      process.exit(1);
    });
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((error: unknown) => {
  process.stderr.write(`tool-executor: cannot start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
