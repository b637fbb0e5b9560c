// Process entry: configuration, the service, signals.
import { loadContracts } from './contracts/index.js';
import { loadConfig } from './config/index.js';
import { createLogger, createService } from './app.js';

const logger = createLogger(process.env.LOG_LEVEL ?? 'info');

async function main(): Promise<void> {
  const contracts = loadContracts();
  const { config, source } = loadConfig(contracts);
  const service = await createService(config, { contracts, logger });
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
  logger.error('could not start', { error: error instanceof Error ? error.message : String(error) });
  process.exit(1);
});
