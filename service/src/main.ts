import 'reflect-metadata';
import { hostname } from 'node:os';
import { createApp } from './app.factory';
import { ConfigError, loadConfig } from './config/config';
import { DataFileError } from './counter/data-file';
import { handleShutdownSignals } from './lifecycle/graceful-shutdown';
import { createLogger } from './logging/logger';
import { openServiceContext } from './service-context';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    createLogger('info', process.env.POD_NAME || hostname()).fatal(err.message);
    process.exit(78); // EX_CONFIG
  }
  const logger = createLogger(config.logLevel, config.podName);
  try {
    const context = await openServiceContext(config, logger);
    const { app, monitor } = await createApp(context);
    handleShutdownSignals({ app, lifecycle: context.lifecycle, logger, delayMs: config.shutdownDelayMs });
    await app.listen(config.port, config.host);
    // Second: a probe that passes means the public port is listening too.
    const monitorPort = await monitor.listen(config.monitorPort, config.host);
    logger.info({ url: await app.getUrl(), monitorPort, dataDir: config.dataDir }, 'visits service ready');
  } catch (err) {
    const message = err instanceof DataFileError ? `refusing to start: ${err.message}` : `cannot start: ${(err as Error).message}`;
    logger.fatal({ err }, message);
    process.exit(1);
  }
}

void main();
