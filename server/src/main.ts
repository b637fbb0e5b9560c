// Process entry: configuration, the checks before start, the service, signals. A start that cannot
// succeed (a bad key in the configuration, a port in use, an unusable data_dir, no container
// engine) ends with exit code 1 and one line on stderr that says what to fix — before the service
// itself is loaded, which takes seconds on a loaded machine.
import { loadConfig } from './config/index.js';
import { CONTRACTS_DIR } from './paths.js';
import { loadContracts } from './contracts/index.js';
import { checkBeforeStart } from './startup/index.js';

async function main(): Promise<void> {
  // Only the configuration's contract is compiled here; the service compiles them all.
  const { config, source } = loadConfig(loadContracts(CONTRACTS_DIR, { compileAll: false }));
  await checkBeforeStart(config);
  const { createLogger, createService } = await import('./app.js');
  const logger = createLogger(process.env.LOG_LEVEL ?? 'info');
  const service = await createService(config, { logger, orphanWatchdog: true });
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
